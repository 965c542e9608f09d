// Synthetic calibration data for the GPTQ tests (seeded).
import { native } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';

export const GPTQ_TYPES = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'IQ4_NL', 'MXFP4', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_XS'];
export const K_TYPES = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_XS'];

/** tokens × cols activations: a shared rank-`rank` part plus `noise`-scaled noise, column scales 0.2…3.2 (×`boost` where given). */
export function correlatedActivations(tokens: number, cols: number, seed: number, rank = 8, noise = 0.3, boost?: (j: number) => number): Float32Array {
  const z = seededNormal(tokens * rank, seed);
  const mix = seededNormal(rank * cols, seed + 1);
  const x = seededNormal(tokens * cols, seed + 2);
  for (let i = 0; i < x.length; i++) x[i] *= noise;
  const X = native().testing.linalgSgemm(z, mix, tokens, cols, rank, { c: x });
  for (let t = 0; t < tokens; t++)
    for (let j = 0; j < cols; j++) X[t * cols + j] *= (0.2 + (3 * ((j * 7919) % 101)) / 101) * (boost ? boost(j) : 1);
  return X;
}

export function xtx(X: Float32Array, tokens: number, cols: number): Float64Array {
  const H = new Float64Array(cols * cols);
  native().hessianAccumulate(H, X, tokens, cols);
  return H;
}

export const identity = (n: number) => {
  const I = new Float64Array(n * n);
  for (let j = 0; j < n; j++) I[j * n + j] = 1;
  return I;
};

export const blockSize = (type: string) => native().typeInfo().find((t) => t.name === type)!.blockSize;
