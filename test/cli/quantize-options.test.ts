// `lowbit quantize` as a user runs it: an existing output needs --force, the source model never,
// and the GPTQ options typed on the command line are the ones the engine ran with.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

import { Store } from '../../main/core/db/store.js';
import { SHAPES, writeSyntheticGguf } from '../fixtures/synthetic-model.js';
import { repoRoot } from '../helpers/shared.js';

const run = promisify(execFile);
const cli = ['--import', 'tsx', path.join(repoRoot, 'main', 'cli', 'lowbit.ts')];
const failure = (re: RegExp) => (e: { stderr: string; code: number }) => e.code === 1 && re.test(e.stderr) && !/\n\s+at /.test(e.stderr);

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-cli-q-'));
  const model = path.join(dir, 'm.gguf');
  await writeSyntheticGguf(model, SHAPES.tiny, { seed: 4 });
  const text = path.join(dir, 'calib.txt');
  fs.writeFileSync(text, 'The little dog ran to the park and found a red ball under a tree. '.repeat(80));
  return { dir, model, text, db: path.join(dir, 'studio.db') };
}

describe('lowbit quantize', () => {
  it('replaces an existing file only with --force, and never the source model', async () => {
    const { dir, model, db } = await setup();
    const out = path.join(dir, 'taken.gguf');
    fs.writeFileSync(out, 'a file the user keeps');
    const quantize = (o: string, ...extra: string[]) => run(process.execPath, [...cli, 'quantize', model, '--type', 'Q8_0', '-o', o, '--db', db, ...extra]);
    await assert.rejects(quantize(out), failure(/lowbit: .*taken\.gguf already exists: confirm to replace it \(lowbit: --force\)/));
    assert.equal(fs.readFileSync(out, 'utf8'), 'a file the user keeps');
    await quantize(out, '--force');
    assert.equal(fs.readFileSync(out).subarray(0, 4).toString(), 'GGUF');
    const before = fs.readFileSync(model);
    await assert.rejects(quantize(model, '--force'), failure(/refused: .*m\.gguf is an input of this operation/));
    assert.deepEqual(fs.readFileSync(model), before);
    await assert.rejects(quantize(out, '--force'), failure(/refused: .*taken\.gguf is the file of quantize run \d+/));
  });

  it('hands --damp, --gptq-block, --act-order, --qep and --qep-alpha to the engine', async () => {
    const { dir, model, text, db } = await setup();
    const gptq = (out: string, ...extra: string[]) =>
      run(process.execPath, [...cli, 'quantize', model, '--type', 'Q4_0', '--method', 'gptq', '--calib', text, '--calib-seqs', '4', '--calib-len', '32', '--threads', '1', '-o', path.join(dir, out), '--db', db, ...extra]);
    await gptq('plain.gguf');
    await gptq('tuned.gguf', '--damp', '0.25', '--gptq-block', '32', '--act-order', '--qep', '--qep-alpha', '0.75');
    const store = new Store(db);
    const [tuned, plain] = store.runs({ limit: 2 });
    // what the engine ran with, as it parsed the options it was handed
    const ran = (r: typeof tuned) => (r.results as { gptq: Record<string, unknown> }).gptq;
    assert.deepEqual(ran(tuned), { damp: 0.25, blockSize: 32, actOrder: true, qep: true, qepAlpha: 0.75, qepLambda: 0.01, subblockRefit: true });
    assert.deepEqual(ran(plain), { damp: 0.01, blockSize: 256, actOrder: false, qep: false, qepAlpha: 0.5, qepLambda: 0.01, subblockRefit: true });
    // and what it did with them, tensor by tensor
    const q = (runId: number) => store.tensorStats(runId).find((s) => s.tensor === 'blk.0.attn_q.weight')!.metrics as Record<string, number>;
    assert.ok(q(tuned.id).damp >= 0.25 && q(tuned.id).qepLambda > 0, JSON.stringify(q(tuned.id)));
    assert.ok(q(plain.id).damp < 0.25 && q(plain.id).qepLambda === 0, JSON.stringify(q(plain.id)));
    const recorded = (r: typeof tuned) => { const p = r.params as Record<string, unknown>; return [p.damp, p.blockSize, p.actOrder, p.qep, p.qepAlpha]; };
    assert.deepEqual([recorded(tuned), recorded(plain)], [[0.25, 32, true, true, 0.75], [0.01, 256, false, false, 0.5]], 'the run records them');
    store.close();
  });
});
