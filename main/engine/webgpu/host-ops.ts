// The non-matmul steps of the forward pass on the host, in f32 the way native/src/core/engine/
// forward.cpp computes them: ggml's RMS norm (mean of squares in double), RoPE with ggml's iterated
// theta (normal and neox pairs), SiLU-gated FFN, causal grouped-query attention (softmax sum in double).
const f = Math.fround;

export interface RopeParams {
  headDim: number;
  ropeDim: number;
  base: number;
  freqScale: number;
  neox: boolean;
}

/** y[yo..yo+n) = x[xo..xo+n) · 1/sqrt(mean(x²) + eps) · w */
export function rmsNorm(x: Float32Array, xo: number, n: number, w: Float32Array, eps: number, y: Float32Array, yo: number): void {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f(x[xo + i] * x[xo + i]);
  const scale = f(1 / f(Math.sqrt(f(f(sum / n) + f(eps)))));
  for (let i = 0; i < n; i++) y[yo + i] = f(x[xo + i] * scale) * w[i];
}

/** RMS norm of each row of `headDim` values, in place (Qwen3's q_norm / k_norm). */
export function headNorm(x: Float32Array, rows: number, w: Float32Array, headDim: number, eps: number): void {
  const tmp = new Float32Array(headDim);
  for (let r = 0; r < rows; r++) {
    rmsNorm(x, r * headDim, headDim, w, eps, tmp, 0);
    x.set(tmp, r * headDim);
  }
}

export function addBias(y: Float32Array, bias: Float32Array, tokens: number): void {
  const d = bias.length;
  for (let t = 0; t < tokens; t++) for (let i = 0; i < d; i++) y[t * d + i] += bias[i];
}

/** RoPE on x (tokens × heads × headDim) at positions pos0 + t, in place. */
export function rope(x: Float32Array, tokens: number, heads: number, pos0: number, p: RopeParams): void {
  const nDims = p.ropeDim;
  const thetaScale = f(Math.pow(f(p.base), f(-2 / nDims)));
  const cs = new Float32Array(nDims);
  for (let t = 0; t < tokens; t++) {
    let theta = f(pos0 + t);
    for (let i = 0; i < nDims; i += 2) {
      const th = f(f(p.freqScale) * theta);
      cs[i] = Math.cos(th);
      cs[i + 1] = Math.sin(th);
      theta = f(theta * thetaScale);
    }
    for (let h = 0; h < heads; h++) {
      const o = (t * heads + h) * p.headDim;
      for (let i = 0; i < nDims; i += 2) {
        const a = o + (p.neox ? i / 2 : i);
        const b = o + (p.neox ? i / 2 + nDims / 2 : i + 1);
        const x0 = x[a];
        const x1 = x[b];
        x[a] = f(x0 * cs[i]) - f(x1 * cs[i + 1]);
        x[b] = f(x0 * cs[i + 1]) + f(x1 * cs[i]);
      }
    }
  }
}

/** gate ← silu(gate) · up */
export function swiglu(gate: Float32Array, up: Float32Array): void {
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i];
    gate[i] = f(g / f(1 + f(Math.exp(-g)))) * up[i];
  }
}

export interface AttentionShape {
  nHead: number;
  nHeadKv: number;
  headDim: number;
}

/**
 * Causal grouped-query attention of `tokens` queries at positions 0..tokens-1 over keys and values
 * of the same positions (one chunk from an empty cache). q is tokens × nHead × headDim, k and v are
 * tokens × nHeadKv × headDim; returns tokens × nHead × headDim.
 */
export function attention(q: Float32Array, k: Float32Array, v: Float32Array, tokens: number, s: AttentionShape): Float32Array {
  const hd = s.headDim;
  const qd = s.nHead * hd;
  const kvd = s.nHeadKv * hd;
  const group = s.nHead / s.nHeadKv;
  const scale = f(1 / f(Math.sqrt(hd)));
  const out = new Float32Array(tokens * qd);
  const p = new Float32Array(tokens);
  for (let h = 0; h < s.nHead; h++) {
    const kvh = Math.floor(h / group);
    for (let t = 0; t < tokens; t++) {
      const qo = t * qd + h * hd;
      let max = -Infinity;
      for (let j = 0; j <= t; j++) {
        const ko = j * kvd + kvh * hd;
        let d = 0;
        for (let i = 0; i < hd; i++) d += q[qo + i] * k[ko + i];
        p[j] = f(d) * scale;
        if (p[j] > max) max = p[j];
      }
      let sum = 0;
      for (let j = 0; j <= t; j++) {
        p[j] = Math.exp(p[j] - max);
        sum += p[j];
      }
      const inv = f(1 / sum);
      for (let j = 0; j <= t; j++) {
        const w = f(p[j] * inv);
        const vo = j * kvd + kvh * hd;
        for (let i = 0; i < hd; i++) out[qo + i] += f(w * v[vo + i]);
      }
    }
  }
  return out;
}
