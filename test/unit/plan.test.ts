// Plans from sensitivity reports: targets, pins, per-kind minimums, unreached tensors and experts,
// the KL prediction's fit, and size parsing. Every plan is solved by the real allocator.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ggmlTypeByName, tensorBytes } from '../../main/core/gguf/ggml-types.js';
import { parseByteSize } from '../../main/core/plan/byte-size.js';
import { planFromSensitivity } from '../../main/core/plan/plan.js';
import { bitsPerWeight } from '../../main/core/plan/rules.js';
import { tensorPlace } from '../../main/core/sensitivity/tensor-place.js';
import type { SensitivityReport, TensorSensitivity } from '../../main/contract/sensitivity.js';

const K_TYPES = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0'];
const SMALL_TYPES = ['Q4_0', 'Q5_0', 'Q8_0', 'F16'];

function tensor(name: string, ne: number[], sens: number, o: { types?: string[]; activations?: number; klPerError?: number; expertActivations?: number[] } = {}): TensorSensitivity {
  const types = (o.types ?? K_TYPES).filter((t) => ne[0] % ggmlTypeByName(t)!.blockSize === 0);
  return {
    name,
    ne,
    ...tensorPlace(name),
    activations: o.activations ?? 4096,
    ...(o.expertActivations ? { expertActivations: o.expertActivations } : {}),
    candidates: types.map((type) => {
      const error = sens * 2 ** (-2 * bitsPerWeight(type));
      return { type, bytes: tensorBytes(ggmlTypeByName(type)!, ne), error, ...(o.klPerError !== undefined ? { kl: o.klPerError * error } : {}) };
    }),
  };
}

function report(tensors: TensorSensitivity[], tokens = 4096): SensitivityReport {
  return {
    version: 1,
    model: { path: '/models/test.gguf', bytes: 1 },
    calibration: { source: 'calib.txt', sha256: 'ab', sequences: 8, length: 512, seed: 0, tokens },
    method: 'rtn',
    fixedBytes: 1000,
    headerBytes: 5000,
    tensors,
  };
}

function llamaReport(layers = 4): SensitivityReport {
  const ts = [tensor('token_embd.weight', [512, 1000], 50), tensor('output.weight', [512, 1000], 400)];
  for (let l = 0; l < layers; l++)
    for (const [kind, ne, s] of [['attn_q', [512, 512], 10], ['attn_k', [512, 256], 8], ['attn_v', [512, 256], 60], ['attn_output', [512, 512], 30], ['ffn_gate', [512, 1536], 20], ['ffn_up', [512, 1536], 20], ['ffn_down', [1536, 512], 90]] as const)
      ts.push(tensor(`blk.${l}.${kind}.weight`, [...ne], s * (1 + l)));
  return report(ts);
}

const weights = (r: SensitivityReport) => r.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);

describe('plans from sensitivity', () => {
  it('meets a bits-per-weight target and predicts less KL the more bits it may spend', () => {
    const r = llamaReport();
    let last = Infinity;
    for (const bpw of [3.6, 4, 4.5, 5, 6, 7]) {
      const p = planFromSensitivity(r, { targetBpw: bpw });
      assert.ok(p.bitsPerWeight <= bpw + 1e-9, `${p.bitsPerWeight} ≤ ${bpw}`);
      assert.ok(p.bitsPerWeight > bpw - 0.5, `${bpw}: the plan uses the budget (${p.bitsPerWeight})`);
      assert.ok(p.predictedKl < last, `${bpw}: predicted KL ${p.predictedKl} falls`);
      last = p.predictedKl;
      const tensorBytesSum = r.tensors.reduce((s, t) => s + tensorBytes(ggmlTypeByName(p.tensors[t.name])!, t.ne), 0);
      assert.equal(p.bytes, r.fixedBytes + r.headerBytes! + tensorBytesSum);
      assert.equal(p.bitsPerWeight, (8 * tensorBytesSum) / weights(r));
      assert.deepEqual(p.ne!['blk.0.attn_q.weight'], [512, 512]);
      assert.equal(p.prediction!.basis, 'error');
    }
  });

  it('meets a file-size target and says how small the constraints allow when it cannot', () => {
    const r = llamaReport();
    const p = planFromSensitivity(r, { targetBytes: 8_000_000 });
    assert.ok(p.bytes <= 8_000_000 && p.bytes > 7_900_000, `${p.bytes}`);
    assert.equal(p.target.kind, 'bytes');
    assert.throws(() => planFromSensitivity(r, { targetBytes: 5_000_000 }), /below the smallest plan the constraints allow, 5190000 bytes .*minimums: output≥Q4_K/);
    assert.throws(() => planFromSensitivity(r, { targetBpw: 2 }), /below the smallest plan the constraints allow, \d\.\d+ bpw/);
    assert.throws(() => planFromSensitivity(r, {}), /exactly one target/);
    assert.throws(() => planFromSensitivity(r, { targetBpw: 4, targetBytes: 1e6 }), /exactly one target/);
    assert.throws(() => planFromSensitivity(r, { targetBpw: -1 }), /positive/);
  });

  it('applies the default minimums by bits per weight, and lets --min and no-defaults change them', () => {
    const r = llamaReport();
    const p = planFromSensitivity(r, { targetBpw: 3.2 });
    const bpw = (n: string) => bitsPerWeight(p.tensors[n]);
    assert.ok(bpw('output.weight') >= 4.5 && bpw('token_embd.weight') >= 4.5);
    for (let l = 0; l < 4; l++) for (const k of ['attn_v', 'attn_output', 'ffn_down']) assert.ok(bpw(`blk.${l}.${k}.weight`) >= bitsPerWeight('Q3_K'), `${l} ${k}`);
    assert.ok(Object.values(p.tensors).includes('Q2_K'), 'unconstrained kinds may go to Q2_K');
    const raised = planFromSensitivity(r, { targetBpw: 4.5, minimums: { attn_q: 'Q5_K' } });
    for (let l = 0; l < 4; l++) assert.ok(bitsPerWeight(raised.tensors[`blk.${l}.attn_q.weight`]) >= 5.5);
    assert.equal(raised.minimums!.attn_q, 'Q5_K');
    const free = planFromSensitivity(r, { targetBpw: 2.7, defaultMinimums: false });
    assert.equal(free.tensors['token_embd.weight'], 'Q2_K', 'with no minimum the least sensitive tensor can take Q2_K');
    assert.throws(() => planFromSensitivity(r, { targetBpw: 4, minimums: { attn_q: 'Q9_X' } }), /unknown ggml type Q9_X/);
  });

  it('meets a Q4_K-class minimum with Q4_0 on rows that cannot hold 256-wide blocks', () => {
    const r = report([tensor('output.weight', [64, 512], 100, { types: ['Q4_0', 'Q5_0', 'Q8_0', 'F16', 'Q2_K'] }), tensor('blk.0.attn_q.weight', [64, 64], 1, { types: SMALL_TYPES })]);
    assert.deepEqual(r.tensors[0].candidates.map((c) => c.type), ['Q4_0', 'Q5_0', 'Q8_0', 'F16']);
    const p = planFromSensitivity(r, { targetBpw: 4.5 });
    assert.equal(p.tensors['output.weight'], 'Q4_0');
  });

  it('pins by name and glob, later pins winning, and refuses pins that do not fit or match nothing', () => {
    const r = llamaReport();
    const p = planFromSensitivity(r, { targetBpw: 4.5, pins: { 'blk.*.attn_v.weight': 'Q8_0', 'blk.0.attn_v.weight': 'Q6_K', 'output.weight': 'Q5_K' } });
    assert.equal(p.tensors['blk.0.attn_v.weight'], 'Q6_K');
    for (let l = 1; l < 4; l++) assert.equal(p.tensors[`blk.${l}.attn_v.weight`], 'Q8_0');
    assert.equal(p.tensors['output.weight'], 'Q5_K');
    assert.ok(p.bitsPerWeight <= 4.5);
    const unmeasured = planFromSensitivity(r, { targetBpw: 4.5, pins: { 'blk.0.ffn_down.weight': 'IQ4_XS' } });
    assert.equal(unmeasured.tensors['blk.0.ffn_down.weight'], 'IQ4_XS');
    assert.match(unmeasured.notes!.join('\n'), /blk\.0\.ffn_down\.weight: IQ4_XS was not measured/);
    const narrow = report([tensor('blk.0.ffn_down.weight', [172, 64], 1, { types: ['F16'] })]);
    assert.throws(() => planFromSensitivity(narrow, { targetBpw: 16, pins: { 'blk.0.ffn_down.weight': 'Q4_0' } }), /blk\.0\.ffn_down\.weight: rows of 172 values are not a multiple of Q4_0's block size 32/);
    assert.throws(() => planFromSensitivity(r, { targetBpw: 4.5, pins: { 'blk.99.*': 'Q4_K' } }), /matches no quantizable tensor/);
    assert.throws(() => planFromSensitivity(r, { targetBpw: 4.5, pins: { 'output.weight': 'Q4_Z' } }), /unknown ggml type Q4_Z/);
  });

  it('gives tensors never reached by calibration the stated default and flags them', () => {
    const ts = llamaReport().tensors;
    const i = ts.findIndex((t) => t.name === 'blk.1.ffn_up.weight');
    ts[i] = { ...ts[i], activations: 0, candidates: ts[i].candidates.map((c) => ({ ...c, error: 0 })) };
    ts.push(tensor('blk.0.ffn_gate.3.weight', [64, 128], 0, { types: SMALL_TYPES, activations: 0 }));
    const p = planFromSensitivity(report(ts), { targetBpw: 3.5 });
    assert.equal(p.tensors['blk.1.ffn_up.weight'], 'Q6_K', 'zero statistics do not send it to Q2_K');
    assert.equal(p.tensors['blk.0.ffn_gate.3.weight'], 'Q8_0', 'the default falls back as llama.cpp does where Q6_K does not fit');
    assert.deepEqual(p.flagged!.map((f) => [f.name, f.type]), [['blk.1.ffn_up.weight', 'Q6_K'], ['blk.0.ffn_gate.3.weight', 'Q8_0']]);
    assert.match(p.flagged![0].reason, /never reached by calibration/);
    const other = planFromSensitivity(report(ts), { targetBpw: 3.5, unreachedType: 'Q4_K' });
    assert.equal(other.tensors['blk.1.ffn_up.weight'], 'Q4_K');
    const pinned = planFromSensitivity(report(ts), { targetBpw: 3.5, pins: { 'blk.1.ffn_up.weight': 'Q3_K' } });
    assert.equal(pinned.tensors['blk.1.ffn_up.weight'], 'Q3_K', 'a pin overrides the unreached default');
    const noCalibration = planFromSensitivity(report(ts, 0), { targetBpw: 3.5 });
    assert.deepEqual(noCalibration.flagged, [], 'a report without calibration carries no reach information');
  });

  it('floors merged expert tensors with experts never reached and names those experts', () => {
    const ts = llamaReport(2).tensors;
    ts.push(tensor('blk.0.ffn_down_exps.weight', [1536, 512, 4], 5, { expertActivations: [900, 0, 300, 0] }));
    ts.push(tensor('blk.1.ffn_down_exps.weight', [1536, 512, 4], 5, { expertActivations: [900, 10, 300, 7] }));
    const p = planFromSensitivity(report(ts), { targetBpw: 4.6 });
    assert.ok(bitsPerWeight(p.tensors['blk.0.ffn_down_exps.weight']) >= bitsPerWeight('Q6_K'));
    assert.ok(bitsPerWeight(p.tensors['blk.1.ffn_down_exps.weight']) < bitsPerWeight('Q6_K'), 'fully reached experts are allocated by their statistics');
    assert.equal(p.flagged!.length, 1);
    assert.match(p.flagged![0].reason, /experts 1, 3 never reached/);
    assert.equal(p.flagged![0].type, p.tensors['blk.0.ffn_down_exps.weight']);
  });

  it('fits the KL scale per kind through the origin when KL was measured', () => {
    const ts = [
      ...[0, 1, 2].map((l) => tensor(`blk.${l}.attn_q.weight`, [512, 512], 10 + l, { klPerError: 2 })),
      ...[0, 1, 2].map((l) => tensor(`blk.${l}.ffn_up.weight`, [512, 1536], 10 + l, { klPerError: 0.5 })),
      tensor('blk.0.attn_k.weight', [512, 256], 4, { types: ['Q4_K'], klPerError: 1 }),
    ];
    const r = report(ts);
    const p = planFromSensitivity(r, { targetBpw: 4.5 });
    assert.equal(p.prediction!.basis, 'kl-fit');
    assert.ok(Math.abs(p.prediction!.scales.attn_q - 2) < 1e-9);
    assert.ok(Math.abs(p.prediction!.scales.ffn_up - 0.5) < 1e-9);
    assert.equal(p.prediction!.scales.attn_k, undefined, 'one point is too few for a kind of its own');
    const measured = r.tensors.reduce((s, t) => {
      const c = t.candidates.find((x) => x.type === p.tensors[t.name])!;
      return s + (t.kind === 'attn_k' ? p.prediction!.scales['*'] * c.error : c.kl!);
    }, 0);
    assert.ok(Math.abs(p.predictedKl - measured) < 1e-12 * Math.max(1, measured), `${p.predictedKl} vs ${measured}`);
  });

  it('refuses a report whose candidate sizes are not the type\'s exact size', () => {
    const r = llamaReport(1);
    r.tensors[2].candidates[0].bytes += 1;
    assert.throws(() => planFromSensitivity(r, { targetBpw: 5 }), /the report says/);
  });

  it('parses sizes in decimal and binary units', () => {
    assert.equal(parseByteSize('3.9GB'), 3_900_000_000);
    assert.equal(parseByteSize('900MiB'), 900 * 2 ** 20);
    assert.equal(parseByteSize('1.5 GiB'), 1.5 * 2 ** 30);
    assert.equal(parseByteSize('12345'), 12345);
    assert.equal(parseByteSize('300kib'), 300 * 1024);
    assert.throws(() => parseByteSize('3.9G'), /expected a number with a unit/);
    assert.throws(() => parseByteSize('-1MB'), /expected a number/);
    assert.throws(() => parseByteSize('0MB'), /above zero/);
  });
});
