// Long engine calls run off the JS thread, report progress and stop promptly when cancelled.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { Store } from '../../main/core/db/store.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { CancelledError } from '../../main/engine/cancelled.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

describe('cancelling an evaluation', { skip: skipNoShared }, () => {
  it('rejects with CancelledError soon after the signal, keeps the JS thread free and records the run as cancelled', async () => {
    const store = new Store(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-cancel-')), 'studio.db'));
    const ac = new AbortController();
    let progressCalls = 0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let abortedAt = 0;
    const p = runOperation({ op: 'evaluate', model: sharedPath('golden', 'stories260K-f32.gguf'), text: { path: sharedPath('data', 'tinystories_val_200k.txt') }, nCtx: 256 }, {
      threads: 1,
      store,
      signal: ac.signal,
      onProgress: ({ done, stage }) => {
        if (stage !== 'evaluating') return;
        progressCalls++;
        if (done === 3) {
          abortedAt = performance.now();
          ac.abort();
        }
      },
    });
    await assert.rejects(p, CancelledError);
    clearInterval(timer);
    assert.ok(performance.now() - abortedAt < 2000, 'stopped within 2 s of the cancel');
    assert.ok(progressCalls >= 3 && ticks > 0, 'progress arrived while the event loop kept running');
    const run = store.runs()[0];
    assert.equal(run.status, 'cancelled');
    store.close();
  });
});
