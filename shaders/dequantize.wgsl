// Dequantize: one invocation per output element. The loader adds the block readers, the decoders
// and `fn dequant(b, e) -> u32` for the type, and the constants BLOCK_SIZE and TYPE_SIZE.
struct Params { n: u32, zero: u32, row_stride: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> wq: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.row_stride;
  if (i >= params.n) { return; }
  out[i] = dequant((i / BLOCK_SIZE) * TYPE_SIZE, i % BLOCK_SIZE);
}
