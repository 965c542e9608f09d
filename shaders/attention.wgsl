// Causal grouped-query attention of one chunk from an empty cache: query t of head h attends to
// keys 0..t of kv head h / (n_head / n_head_kv). One workgroup per (head, query). Keys go by in
// tiles of 64, each invocation scoring one, with a running max and sum (online softmax); each
// invocation owns output dimensions lid, lid + 64, … (head_dim ≤ 256). q, out: tokens × n_head × head_dim;
// k, v: tokens × n_head_kv × head_dim.
struct Params { tokens: u32, n_head: u32, n_head_kv: u32, head_dim: u32, scale: f32, p0: u32, p1: u32, p2: u32 }

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const WG = 64u;
const MAX_DIMS = 4u;  // head_dim / WG, rounded up
var<workgroup> scores: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wg.x;
  let t = wg.y;
  let hd = params.head_dim;
  let qd = params.n_head * hd;
  let kvd = params.n_head_kv * hd;
  let kvo = (h / (params.n_head / params.n_head_kv)) * hd;
  let qo = t * qd + h * hd;
  var acc: array<f32, MAX_DIMS>;
  var m = 0.0;
  var sum = 0.0;
  for (var j0 = 0u; j0 <= t; j0 = j0 + WG) {
    let j = j0 + lid;
    if (j <= t) {
      var d = 0.0;
      for (var i = 0u; i < hd; i = i + 1u) { d = d + q[qo + i] * k[j * kvd + kvo + i]; }
      scores[lid] = d * params.scale;
    }
    workgroupBarrier();
    // every invocation reads the tile's scores itself: no reduction rounds, the same sums everywhere
    let n = min(WG, t + 1u - j0);
    var m_new = scores[0];
    for (var jj = 1u; jj < n; jj = jj + 1u) { m_new = max(m_new, scores[jj]); }
    if (j0 > 0u) { m_new = max(m, m_new); }
    let rescale = select(0.0, exp(m - m_new), j0 > 0u);
    sum = sum * rescale;
    for (var c = 0u; c < MAX_DIMS; c = c + 1u) { acc[c] = acc[c] * rescale; }
    for (var jj = 0u; jj < n; jj = jj + 1u) {
      let e = exp(scores[jj] - m_new);
      sum = sum + e;
      let vo = (j0 + jj) * kvd + kvo;
      for (var c = 0u; c < MAX_DIMS; c = c + 1u) {
        let dim = lid + c * WG;
        if (dim < hd) { acc[c] = acc[c] + e * v[vo + dim]; }
      }
    }
    m = m_new;
    workgroupBarrier();
  }
  let inv = 1.0 / sum;
  for (var c = 0u; c < MAX_DIMS; c = c + 1u) {
    let dim = lid + c * WG;
    if (dim < hd) { out[qo + dim] = acc[c] * inv; }
  }
}
