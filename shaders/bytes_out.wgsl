// Little-endian byte writes into a zeroed block buffer bound as array<atomic<u32>> named `qout`
// (ggml blocks are not 4-byte aligned, so neighbouring invocations share words).
fn put_u8(off: u32, v: u32) {
  atomicOr(&qout[off >> 2u], (v & 0xffu) << ((off & 3u) * 8u));
}

fn put_u16(off: u32, v: u32) {
  put_u8(off, v);
  put_u8(off + 1u, v >> 8u);
}
