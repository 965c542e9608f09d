// `lowbit eval` as a user runs it: JSON on stdout, progress on stderr, the run in SQLite.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

import { Store } from '../../main/core/db/store.js';
import { repoRoot, sharedPath, skipNoShared } from '../helpers/shared.js';

const run = promisify(execFile);
const cli = ['--import', 'tsx', path.join(repoRoot, 'main', 'cli', 'lowbit.ts')];

describe('lowbit eval', { skip: skipNoShared }, () => {
  it('prints one JSON object with PPL, KL and top-1 and records the run', async () => {
    const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-cli-')), 'studio.db');
    const text = `${sharedPath('data', 'tinystories_val_200k.txt')}@0:40000`;
    const { stdout, stderr } = await run(process.execPath, [
      ...cli, 'eval', sharedPath('golden', 'stories260K-pure-Q4_0.gguf'), '--text', text, '--ctx', '256',
      '--reference', sharedPath('golden', 'stories260K-f32.gguf'), '--json', '--db', db,
    ]);
    const r = JSON.parse(stdout);
    assert.ok(r.ppl > 4 && r.ppl < 6, `ppl ${r.ppl}`);
    assert.ok(r.meanKl > 0 && r.meanKl < 0.5, `kl ${r.meanKl}`);
    assert.ok(r.top1Agreement > 0.5 && r.top1Agreement < 1);
    assert.ok(r.referencePpl < r.ppl);
    assert.match(stderr, /eval evaluating: \d+\/\d+/);
    const store = new Store(db);
    const rec = store.run(r.runId)!;
    assert.equal(rec.status, 'done');
    assert.equal((rec.results as { ppl: number }).ppl, r.ppl);
    assert.equal(store.model(rec.model_id!)!.architecture, 'llama');
    store.close();
  });

  it('explains bad input clearly', async () => {
    await assert.rejects(
      run(process.execPath, [...cli, 'eval', '/nonexistent.gguf', '--text', sharedPath('data', 'tinystories_val_200k.txt'), '--no-record']),
      (e: { stderr: string }) => /\/nonexistent\.gguf: no such file or folder/.test(e.stderr),
    );
    await assert.rejects(
      run(process.execPath, [...cli, 'eval', sharedPath('models', 'stories260K.gguf'), '--text', sharedPath('data', 'tinystories_val_200k.txt') + '@0:100', '--ctx', '256', '--no-record']),
      (e: { stderr: string }) => /fewer than one context of 256/.test(e.stderr),
    );
  });
});
