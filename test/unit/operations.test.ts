// The operation runner: one validator for every spec, the output rules (no input, no recorded
// model file, no silent overwrite), run records created in their project and closed as cancelled,
// runs of live processes left alone, and ids never given twice.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { Store } from '../../main/core/db/store.js';
import { httpStatus, userMessage } from '../../main/core/errors/user-message.js';
import { JobStore } from '../../main/core/jobs/job-store.js';
import { OutputExistsError } from '../../main/core/operations/output.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { type OperationSpec, validateOperation } from '../../main/core/operations/spec.js';
import { CancelledError } from '../../main/engine/cancelled.js';
import { SHAPES, writeSyntheticGguf } from '../fixtures/synthetic-model.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-ops-'));
const calibration = { text: 'calib.txt', sequences: 4, length: 32, seed: 0 };

describe('validateOperation', () => {
  const refuse = (spec: unknown, message: RegExp) => assert.throws(() => validateOperation(spec as OperationSpec), message);

  it('refuses what the rules between fields forbid, with the option to change', () => {
    const q = { op: 'quantize', model: 'm.gguf', out: 'o.gguf' };
    refuse({ ...q, method: 'rtn', target: {} }, /either --type PRESET or --plan PLAN\.json/);
    refuse({ ...q, method: 'rtn', target: { preset: 'Q4_0', plan: { tensors: {} } } }, /either --type PRESET or --plan PLAN\.json/);
    refuse({ ...q, method: 'rtn', target: { preset: 'Q4_7' } }, /unknown type Q4_7; choose one of .*Q4_K_M/);
    refuse({ ...q, method: 'rtn', target: { plan: { tensors: {} }, pure: true } }, /--pure applies to presets/);
    refuse({ ...q, method: 'gptq', target: { preset: 'Q4_0' } }, /GPTQ needs calibration text/);
    refuse({ ...q, method: 'gptq', target: { preset: 'Q4_0' }, calibration, imatrix: 'i.gguf' }, /drop --imatrix/);
    refuse({ ...q, method: 'gptq', target: { preset: 'Q4_0' }, calibration, gptq: { qep: true, qepAlpha: 1.5 } }, /--qep-alpha must be between 0 and 1/);
    refuse({ ...q, method: 'rtn', target: { preset: 'Q4_0' }, gptq: { actOrder: true } }, /apply to --method gptq/);
    refuse({ ...q, method: 'rtn', target: { preset: 'Q4_0' }, calibration }, /round to nearest takes no calibration text/);
    refuse({ ...q, method: 'awq', target: { preset: 'Q4_0' } }, /unknown method awq \(available: rtn, gptq\)/);
    refuse({ ...q, out: 'o.bin', method: 'rtn', target: { preset: 'Q4_0' } }, /the output file must end in \.gguf/);
    refuse({ op: 'evaluate', model: 'm.gguf', text: 't.txt', nCtx: 4 }, /context length must be at least 8/);
    refuse({ op: 'evaluate', model: 'm.gguf', text: 't.txt', nCtx: 64, backend: 'gpu' }, /backend must be one of cpu, webgpu, cuda, auto/);
    refuse({ op: 'plan', sensitivity: {}, target: { kind: 'bpw', value: 4 } }, /--sensitivity FILE or --run ID/);
    refuse({ op: 'sensitivity', model: 'm.gguf', calibration: { ...calibration, sequences: 0 }, types: ['Q4_0'], method: 'rtn', outputErrorSequences: 0 }, /sequences must be a positive whole number/);
    refuse({ op: 'export', runId: 0, out: 'x.gguf' }, /run id must be a positive whole number/);
    refuse({ op: 'shrink' }, /unknown operation "shrink"/);
  });

  it('accepts the specs the hosts build', () => {
    const ok: OperationSpec[] = [
      { op: 'quantize', model: 'm.gguf', out: 'o.gguf', target: { preset: 'Q4_K_M' }, method: 'rtn', imatrix: 'i.gguf' },
      { op: 'quantize', model: 'm.gguf', out: 'o.gguf', target: { preset: 'Q4_0' }, method: 'gptq', calibration: { ...calibration, text: { path: 'c.txt', start: 10 } }, gptq: { qep: true, qepAlpha: 1 } },
      { op: 'evaluate', model: 'm.gguf', text: 't.txt@0:100', nCtx: 256, reference: 'r.gguf', backend: 'auto' },
      { op: 'plan', sensitivity: { runId: 3 }, target: { kind: 'bytes', value: 1e6 } },
    ];
    for (const s of ok) assert.equal(validateOperation(s), s);
  });
});

describe('runOperation', () => {
  it('never writes over an input, a recorded model or, unasked, an existing file', async () => {
    const { dir, model, store } = await modelAndStore();
    const quantize = (out: string, overwrite?: boolean) => runOperation({ op: 'quantize', model, out, target: { preset: 'Q8_0' }, method: 'rtn', overwrite }, { store, threads: 1 });
    const before = fs.readFileSync(model);
    await assert.rejects(quantize(model, true), /refused: .*m\.gguf is an input of this operation/);
    assert.deepEqual(fs.readFileSync(model), before, 'the source model is untouched');

    const out = path.join(dir, 'q.gguf');
    const first = await quantize(out);
    // the file of a finished quantize run, while it is there: refused even when told to overwrite
    await assert.rejects(quantize(out, true), new RegExp(`refused: .*q\\.gguf is the file of quantize run ${first.runId}`));
    // a model the studio opened is refused too
    const other = path.join(dir, 'other.gguf');
    fs.copyFileSync(model, other);
    await runOperation({ op: 'evaluate', model: other, text: writeText(dir), nCtx: 16 }, { store, threads: 1 });
    await assert.rejects(quantize(other, true), /refused: .*other\.gguf is a model the studio has opened/);
    // any other existing file needs the user's word
    const plain = path.join(dir, 'plain.gguf');
    fs.writeFileSync(plain, 'keep me');
    await assert.rejects(quantize(plain), (e) => e instanceof OutputExistsError && /already exists: confirm to replace it \(lowbit: --force\)/.test(e.message));
    assert.equal(fs.readFileSync(plain, 'utf8'), 'keep me');
    await quantize(plain, true);
    assert.notEqual(fs.readFileSync(plain, 'utf8'), 'keep me');
    // a missing folder is found before any work
    await assert.rejects(quantize(path.join(dir, 'nowhere', 'q.gguf')), /the folder .*nowhere does not exist/);
    assert.deepEqual(store.runs({ limit: 10 }).map((r) => r.kind), ['quantize', 'eval', 'quantize'], 'refused operations record no run');
    store.close();
  });

  it('creates the run in its project and closes it as cancelled with one CancelledError', async () => {
    const { dir, model, store } = await modelAndStore();
    const project = store.createProject('p');
    const ac = new AbortController();
    const runs: number[] = [];
    await assert.rejects(
      runOperation(
        { op: 'evaluate', model, text: writeText(dir), nCtx: 16 },
        { store, projectId: project.id, signal: ac.signal, threads: 1, onRun: (id) => runs.push(id), onProgress: (p) => p.stage === 'evaluating' && ac.abort() },
      ),
      CancelledError,
    );
    assert.equal(runs.length, 1);
    const run = store.run(runs[0])!;
    assert.deepEqual([run.project_id, run.status], [project.id, 'cancelled']);
    store.close();
  });
});

describe('evaluation text', () => {
  it('refuses binary files offered as text, and text a model was calibrated on', async () => {
    const { dir, model, store } = await modelAndStore();
    const evaluate = (m: string, text: string) => runOperation({ op: 'evaluate', model: m, text, nCtx: 16 }, { store, threads: 1 });
    await assert.rejects(evaluate(model, model), /m\.gguf is not a text file: it holds NUL bytes/);
    const latin1 = path.join(dir, 'latin1.txt');
    fs.writeFileSync(latin1, Buffer.from('Caf\xe9 au lait. '.repeat(50), 'latin1'));
    await assert.rejects(evaluate(model, latin1), /latin1\.txt is not UTF-8 text/);
    // a range that cuts a character at either end is still text
    const utf8 = path.join(dir, 'utf8.txt');
    fs.writeFileSync(utf8, 'Un café, une crème brûlée. '.repeat(60));
    await evaluate(model, `${utf8}@4:1001`);

    const calib = writeText(dir);
    const q = path.join(dir, 'q.gguf');
    await runOperation({ op: 'quantize', model, out: q, target: { preset: 'Q8_0' }, method: 'gptq', calibration: { text: `${calib}@0:1200`, sequences: 2, length: 32, seed: 0 } }, { store, threads: 1 });
    await assert.rejects(evaluate(q, `${calib}@1000:2400`), /overlaps the text quantize run \d+ was calibrated on/);
    await assert.rejects(evaluate(q, calib), /overlaps the text/);
    const copy = path.join(dir, 'copy.txt');
    fs.writeFileSync(copy, fs.readFileSync(calib).subarray(0, 1200));
    await assert.rejects(evaluate(q, copy), /overlaps the text/, 'the same content under another name');
    const r = await evaluate(q, `${calib}@1200:`);
    assert.match(store.run(r.runId!)!.params ? JSON.stringify(store.run(r.runId!)!.params) : '', /text\.txt@1200:/, 'the run says which text it was measured on');
    store.close();
  });
});

describe('messages for the user', () => {
  it('names files in plain words, hides temporary names, and tells bad input from our faults', () => {
    const fsError = (code: string, p?: string) => Object.assign(new Error(`${code}: raw`), { code, ...(p ? { path: p } : {}) });
    assert.equal(userMessage(fsError('ENOSPC', '/data/.m.gguf.123.1700000000000.tmp')), '/data/m.gguf: the disk is full: free some space and try again');
    assert.equal(userMessage(fsError('EACCES', '/root/x.gguf')), '/root/x.gguf: permission denied');
    assert.equal(userMessage(new Error("cannot rename '/d/.out.gguf.77.1700000000001.tmp'")), "cannot rename '/d/out.gguf'");
    assert.equal(httpStatus(fsError('ENOSPC')), 507);
    assert.equal(httpStatus(fsError('ENOENT')), 422);
    assert.equal(httpStatus(new Error('no project with id 3')), 422);
    assert.equal(httpStatus(new TypeError("Cannot read properties of undefined (reading 'x')")), 500);
  });
});

describe('the store', () => {
  it('never gives an id twice, even after a delete', () => {
    const store = new Store(':memory:');
    const a = store.createProject('a');
    store.deleteProject(a.id);
    const b = store.createProject('b');
    assert.ok(b.id > a.id, `project ${b.id} after deleted ${a.id}`);
    const r1 = store.startRun({ kind: 'eval', params: {}, projectId: b.id });
    store.deleteProject(b.id);
    const r2 = store.startRun({ kind: 'eval', params: {} });
    assert.ok(r2 > r1);
    store.close();
  });

  it('marks interrupted only the runs and jobs whose process is gone, and removes their temporary files', async () => {
    const dir = tmp();
    const db = path.join(dir, 'studio.db');
    const out = path.join(dir, 'q.gguf');
    // a process that is gone: started, recorded its pid, exited
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid!;
    await new Promise((r) => gone.on('exit', r));
    const stale = path.join(dir, `.q.gguf.${pid}.123.tmp`);
    const otherProcess = path.join(dir, `.q.gguf.${pid + 1}.123.tmp`);
    fs.writeFileSync(stale, 'half');
    fs.writeFileSync(otherProcess, 'someone else');
    const first = new Store(db);
    const live = first.startRun({ kind: 'quantize', params: { out } });
    const dead = first.startRun({ kind: 'quantize', params: { out } });
    first.db.prepare('UPDATE runs SET owner = ? WHERE id = ?').run(JSON.stringify({ pid, started: Date.now() - 1000 }), dead);
    const jobs = new JobStore(first);
    const liveJob = jobs.create({ kind: 'evaluate', projectId: first.createProject('p').id, model: 'm', reference: null, text: 't', nCtx: 8 });
    // another process opens the same database while this one runs
    const second = new Store(db);
    assert.equal(second.run(live)!.status, 'running', 'a live run stays running');
    assert.equal(second.run(dead)!.status, 'interrupted');
    assert.match(second.run(dead)!.error!, /the process ended before the run finished/);
    assert.equal(new JobStore(second).interruptOrphans(), 0);
    assert.equal(new JobStore(second).get(liveJob.id)!.status, 'running');
    assert.equal(fs.existsSync(stale), false, "the dead process's temporary file is gone");
    assert.equal(fs.existsSync(otherProcess), true, "another process's temporary file is kept");
    second.close();
    first.close();
  });
});

/** A folder with a tiny synthetic model and a database. */
async function modelAndStore() {
  const dir = tmp();
  const model = path.join(dir, 'm.gguf');
  await writeSyntheticGguf(model, SHAPES.tiny, { seed: 1 });
  return { dir, model, store: new Store(path.join(dir, 'studio.db')) };
}

function writeText(dir: string): string {
  const file = path.join(dir, 'text.txt');
  fs.writeFileSync(file, 'Once upon a time there was a little cat who liked to play. '.repeat(40));
  return file;
}
