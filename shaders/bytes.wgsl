// Little-endian byte access to a block buffer bound as array<u32> named `wq`
// (ggml blocks are not 4-byte aligned: Q4_0 is 18 bytes).
fn rd_u8(off: u32) -> u32 {
  return (wq[off >> 2u] >> ((off & 3u) * 8u)) & 0xffu;
}

fn rd_u16(off: u32) -> u32 {
  return rd_u8(off) | (rd_u8(off + 1u) << 8u);
}

fn rd_u32(off: u32) -> u32 {
  return rd_u16(off) | (rd_u16(off + 2u) << 16u);
}

fn rd_i8(off: u32) -> i32 {
  return (i32(rd_u8(off)) << 24u) >> 24u;
}
