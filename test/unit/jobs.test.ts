// The job runner: stage, progress, ETA, log, cancel, and state that outlives the process.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { JobEvent, JobSpec } from '../../main/contract/api.js';
import { Store } from '../../main/core/db/store.js';
import { JobRunner } from '../../main/core/jobs/runner.js';

const spec = (projectId: number): JobSpec => ({ kind: 'evaluate', projectId, model: '/m.gguf', reference: null, text: '/t.txt', nCtx: 64 });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('job runner', () => {
  it('reports stages, progress with an ETA, log lines and the result', async () => {
    const store = new Store(':memory:');
    const p = store.createProject('p');
    const runner = new JobRunner(store);
    const events: JobEvent[] = [];
    runner.on((e) => events.push(e));
    const job = runner.start(spec(p.id), async (ctx) => {
      ctx.stage('counting');
      for (let i = 1; i <= 4; i++) {
        await tick(30);
        ctx.progress(i, 8);
      }
      ctx.log('half way');
      return { answer: 42 };
    });
    assert.equal(job.status, 'running');
    await runner.idle();
    const done = runner.get(job.id)!;
    assert.equal(done.status, 'done');
    assert.deepEqual(done.result, { answer: 42 });
    assert.ok(done.log.some((l) => l.endsWith('counting…')) && done.log.some((l) => l.endsWith('half way')));
    const mid = events.filter((e) => e.job.stage === 'counting' && e.job.progress > 0 && e.job.progress < 1);
    assert.ok(mid.length > 0, 'progress events while running');
    assert.ok(mid.every((e) => e.job.etaSeconds !== null && e.job.etaSeconds > 0), 'an ETA while running');
    assert.equal(events.at(-1)!.job.status, 'done');
    assert.equal(events.filter((e) => e.line?.endsWith('half way')).length, 1, 'each log line is sent once');
    store.close();
  });

  it('cancels through the AbortSignal and records failures with their message', async () => {
    const store = new Store(':memory:');
    const p = store.createProject('p');
    const runner = new JobRunner(store);
    const job = runner.start(spec(p.id), (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))));
    await tick(10);
    runner.cancel(job.id);
    const failing = runner.start(spec(p.id), async () => {
      throw new Error('the text is empty');
    });
    await runner.idle();
    assert.equal(runner.get(job.id)!.status, 'cancelled');
    assert.equal(runner.get(failing.id)!.status, 'failed');
    assert.equal(runner.get(failing.id)!.error, 'the text is empty');
    assert.throws(() => runner.cancel(999), /no job with id 999/);
    store.close();
  });

  it('keeps jobs in SQLite: a new process sees finished jobs, and running ones as interrupted', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-jobs-')), 'studio.db');
    const first = new Store(file);
    const p = first.createProject('p');
    const runner = new JobRunner(first);
    const finished = runner.start(spec(p.id), async (ctx) => {
      ctx.stage('work');
      ctx.progress(1, 2);
      return 'ok';
    });
    await runner.idle();
    let release!: () => void;
    const stuck = runner.start(spec(p.id), async (ctx) => {
      ctx.stage('forever');
      ctx.log('still going');
      await new Promise<void>((r) => (release = r));
    });
    await tick(10);
    // the process "dies" here (no process has its pid now): a second store and runner open the same file
    first.db.prepare('UPDATE jobs SET owner = ?').run(JSON.stringify({ pid: 999_999_999, started: Date.now() }));
    const second = new Store(file);
    const reopened = new JobRunner(second).list(p.id);
    assert.equal(reopened.find((j) => j.id === finished.id)!.status, 'done');
    const orphan = reopened.find((j) => j.id === stuck.id)!;
    assert.equal(orphan.status, 'interrupted');
    assert.equal(orphan.stage, 'forever');
    assert.ok(orphan.log.some((l) => l.endsWith('still going')));
    release();
    await runner.idle();
    first.close();
    second.close();
  });
});
