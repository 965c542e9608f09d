// Causal grouped-query attention of one chunk from an empty cache: query t of head h attends to
// keys 0..t of kv head h / (n_head / n_head_kv). A workgroup takes one head and 64 queries, one per
// invocation; the keys and values its queries need go by through workgroup memory, tile_keys at a
// time (2048 / head_dim, so that both tiles fit in 16 KiB), and each query keeps a running max and
// sum (online softmax) and its output row. q, out: tokens × n_head × head_dim; k, v: tokens ×
// n_head_kv × head_dim; head_dim ≤ 256.
struct Params { tokens: u32, n_head: u32, n_head_kv: u32, head_dim: u32, scale: f32, tile_keys: u32, p1: u32, p2: u32 }

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const WG = 64u;
const MAX_HEAD_DIM = 256u;
var<workgroup> kt: array<f32, 2048>;
var<workgroup> vt: array<f32, 2048>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wg.x;
  let t0 = wg.y * WG;
  let t = t0 + lid;
  let hd = params.head_dim;
  let qd = params.n_head * hd;
  let kvd = params.n_head_kv * hd;
  let kvo = (h / (params.n_head / params.n_head_kv)) * hd;
  let live = t < params.tokens;
  var qv = array<f32, MAX_HEAD_DIM>();
  var o = array<f32, MAX_HEAD_DIM>();
  if (live) {
    for (var i = 0u; i < hd; i = i + 1u) { qv[i] = q[t * qd + h * hd + i]; }
  }
  var m = -3.0e38;
  var sum = 0.0;
  let last = min(t0 + WG, params.tokens) - 1u;  // the last key a query of this workgroup sees
  let kn = params.tile_keys;
  for (var j0 = 0u; j0 <= last; j0 = j0 + kn) {
    for (var i = lid; i < kn * hd; i = i + WG) {
      let j = j0 + i / hd;
      if (j <= last) {
        kt[i] = k[j * kvd + kvo + i % hd];
        vt[i] = v[j * kvd + kvo + i % hd];
      }
    }
    workgroupBarrier();
    if (live) {
      let end = min(j0 + kn, t + 1u);
      for (var j = j0; j < end; j = j + 1u) {
        let base = (j - j0) * hd;
        var d = 0.0;
        for (var i = 0u; i < hd; i = i + 1u) { d = d + qv[i] * kt[base + i]; }
        let score = d * params.scale;
        if (score > m) {  // a new maximum: rescale what was summed so far
          let r = exp(m - score);
          sum = sum * r;
          for (var i = 0u; i < hd; i = i + 1u) { o[i] = o[i] * r; }
          m = score;
        }
        let p = exp(score - m);
        sum = sum + p;
        for (var i = 0u; i < hd; i = i + 1u) { o[i] = o[i] + p * vt[base + i]; }
      }
    }
    workgroupBarrier();
  }
  if (live) {
    let inv = 1.0 / sum;
    for (var i = 0u; i < hd; i = i + 1u) { out[t * qd + h * hd + i] = o[i] * inv; }
  }
}
