// The AVX2 scale searches (make_qx_quants, make_qkx2/3_quants: search_avx2.cpp) give the same bytes
// as the scalar reference, with and without importance, on many random blocks mixed with blocks
// random data rarely produces: constants, zeros, a lone outlier, values near GROUP_MAX_EPS, one sign
// only, huge ranges and magnitudes, exact grid values (ties between candidate scales), denormals,
// infinities. (Not NaN: the pipeline rejects it, and which NaN payload an operation propagates
// depends on operand order, so NaN inputs are outside what "the same bits" can promise.)
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { native, type SimdLevelName } from '../../main/engine/native.js';
import { mulberry32 } from '../helpers/random.js';
import { initialLevel, SIMD_LEVELS, useSimdLevel } from './simd.js';

// Every type whose quantizer runs one of the searches (IQ4_NL / IQ4_XS have their own search, which
// has no SIMD version: they are here as a check that nothing else changed).
const TYPES = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'IQ4_XS'];
const ROW = 256;
const ROWS = 512; // 131 072 values a data set, four importance variants each

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

// Fills 16 values (a sub-block of the k-quants, half a 32-block) with one pattern.
type Pattern = (rand: () => number, out: Float32Array, at: number) => void;
const fill = (f: (rand: () => number, j: number) => number): Pattern => (rand, out, at) => {
  for (let j = 0; j < 16; j++) out[at + j] = f(rand, j);
};
const PATTERNS: Record<string, Pattern> = {
  gaussian: fill((r) => gaussian(r)),
  'gaussian, random scale': (rand, out, at) => {
    const s = 10 ** (rand() * 8 - 4);
    for (let j = 0; j < 16; j++) out[at + j] = gaussian(rand) * s;
  },
  constant: (rand, out, at) => {
    const c = (rand() < 0.5 ? -1 : 1) * 10 ** (rand() * 6 - 3);
    out.fill(c, at, at + 16);
  },
  zeros: fill(() => 0),
  'negative zeros': fill(() => -0),
  'one outlier': (rand, out, at) => {
    for (let j = 0; j < 16; j++) out[at + j] = gaussian(rand) * 0.01;
    out[at + Math.floor(rand() * 16)] = (rand() < 0.5 ? -1 : 1) * 100;
  },
  'near GROUP_MAX_EPS': (rand, out, at) => {
    const s = 10 ** (rand() * 3 - 16.5);
    for (let j = 0; j < 16; j++) out[at + j] = gaussian(rand) * s;
  },
  'negatives only': fill((r) => -Math.abs(gaussian(r))),
  'positives only': fill((r) => Math.abs(gaussian(r))),
  'positives only, offset': fill((r) => 5 + Math.abs(gaussian(r))),
  'huge range': fill((r) => gaussian(r) * 10 ** (r() * 12 - 6)),
  'huge magnitude': fill((r) => gaussian(r) * 1e30),
  'x² overflows': fill((r) => gaussian(r) * 1e20),
  'grid values': fill((r) => Math.round(gaussian(r) * 4) / 4),
  'small integers': fill((r) => Math.floor(r() * 16) - 8),
  'exact halves': fill((r) => (Math.floor(r() * 32) - 16) / 2),
  'two values': (rand, out, at) => {
    const a = rand() + 0.5;
    for (let j = 0; j < 16; j++) out[at + j] = rand() < 0.5 ? -a : a;
  },
  sparse: fill((r) => (r() < 0.1 ? gaussian(r) : 0)),
  denormals: fill((r) => gaussian(r) * 1e-40),
  'an infinity': (rand, out, at) => {
    for (let j = 0; j < 16; j++) out[at + j] = gaussian(rand);
    out[at + Math.floor(rand() * 16)] = rand() < 0.5 ? -Infinity : Infinity;
  },
};
const PATTERN_LIST = Object.values(PATTERNS);

// Rows whose 16-value pieces take random patterns (so super-blocks mix them), then a whole row of
// each pattern (so a pattern also fills whole super-blocks).
function dataSet(seed: number, rows: number, row: number): Float32Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(rows * row);
  const whole = PATTERN_LIST.length * (row / 16);
  for (let at = 0; at < x.length; at += 16) {
    const k = at < whole * 16 ? Math.floor(at / row) % PATTERN_LIST.length : Math.floor(rand() * PATTERN_LIST.length);
    PATTERN_LIST[k](rand, x, at);
  }
  return x;
}

function importances(seed: number, row: number): Record<string, Float32Array | null> {
  const rand = mulberry32(seed);
  return {
    none: null,
    ones: new Float32Array(row).fill(1),
    'log-normal': Float32Array.from({ length: row }, () => Math.exp(2 * gaussian(rand))),
    'with zeros and extremes': Float32Array.from({ length: row }, (_, j) =>
      j % 5 === 0 ? 0 : j % 7 === 0 ? 1e-30 : j % 11 === 0 ? 1e12 : rand()),
  };
}

function quantizeAt(level: SimdLevelName, type: string, x: Float32Array, rows: number, row: number, imp: Float32Array | null) {
  assert.equal(native().testing.setSimdLevel(level), level, `setSimdLevel('${level}') did not take`);
  return Buffer.from(native().quantize(type, x, rows, row, imp));
}

function firstDifference(a: Buffer, b: Buffer): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('scale searches: AVX2 equals the scalar reference to the byte', () => {
  after(() => native().testing.setSimdLevel(initialLevel));
  const onX86 = process.arch === 'x64';

  it('the CPU runs the SIMD searches (otherwise this test compares the reference with itself)', { skip: !onX86 && 'not x86-64' }, () => {
    assert.equal(native().testing.setSimdLevel('avx2'), 'avx2', 'no AVX2 on this x86-64 CPU: the SIMD searches are not tested');
  });

  const sets: { name: string; x: Float32Array; rows: number; row: number; imps: Record<string, Float32Array | null> }[] = [
    { name: 'rows of 256', x: dataSet(1, ROWS, ROW), rows: ROWS, row: ROW, imps: importances(2, ROW) },
    { name: 'rows of 256, second seed', x: dataSet(3, ROWS, ROW), rows: ROWS, row: ROW, imps: importances(4, ROW) },
  ];
  for (const type of TYPES)
    for (const level of SIMD_LEVELS)
      it(`${type} at ${level}`, (t) => {
        if (!useSimdLevel(t, level)) return;
        const bs = native().typeInfo().find((info) => info.name === type)!.blockSize;
        // the 32-blocks' importance search takes σ² over the row: rows of one block as GPTQ uses them
        const all = bs === 32 ? [...sets, { name: 'rows of 32', x: dataSet(5, ROWS * 8, 32), rows: ROWS * 8, row: 32, imps: importances(6, 32) }] : sets;
        for (const set of all)
          for (const [impName, imp] of Object.entries(set.imps)) {
            const ref = quantizeAt('scalar', type, set.x, set.rows, set.row, imp);
            const simd = quantizeAt(level, type, set.x, set.rows, set.row, imp);
            const at = firstDifference(ref, simd);
            assert.equal(at, -1, `${type} (${set.name}, importance ${impName}) at ${level}: byte ${at} differs (block ${Math.floor(at / (ref.length / ((set.rows * set.row) / bs)))})`);
          }
      });
});
