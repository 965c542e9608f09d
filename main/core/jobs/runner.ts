// Runs the studio's long work: one job per request, each with a stage, progress, ETA, log lines
// and cancel. State is written to SQLite (throttled) so a reopened window sees running and
// finished jobs; listeners get events as they happen (the hosts forward them to the renderer).
import type { JobEvent, JobInfo, JobSpec } from '../../contract/api.js';
import { CancelledError } from '../../engine/cancelled.js';
import type { Store } from '../db/store.js';
import { userMessage } from '../errors/user-message.js';
import { JobStore, LOG_LINES } from './job-store.js';

export interface JobContext {
  readonly signal: AbortSignal;
  /** starts a new stage: progress and the ETA clock restart */
  stage(name: string): void;
  progress(done: number, total: number): void;
  log(line: string): void;
  /** the run the core recorded for this job */
  linkRun(runId: number): void;
}

export type JobWork = (ctx: JobContext) => Promise<unknown>;

const SAVE_EVERY_MS = 500;
const EVENT_EVERY_MS = 100;
/** the same spec again within this time is the same request (a double click), not a second job */
const DUPLICATE_WINDOW_MS = 5000;

interface Live {
  info: JobInfo;
  controller: AbortController;
  startedAt: number;
  stageStart: number;
  lastSave: number;
  lastEvent: number;
  done: Promise<void>;
}

export class JobRunner {
  private readonly jobs: JobStore;
  private readonly live = new Map<number, Live>();
  private readonly listeners = new Set<(e: JobEvent) => void>();

  constructor(store: Store) {
    this.jobs = new JobStore(store);
    this.jobs.interruptOrphans();
  }

  on(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(projectId: number | null): JobInfo[] {
    // running jobs come from memory: the row may lag behind by up to SAVE_EVERY_MS
    return this.jobs.list(projectId).map((j) => (this.live.has(j.id) ? { ...this.live.get(j.id)!.info } : j));
  }

  get(id: number): JobInfo | undefined {
    const l = this.live.get(id);
    return l ? { ...l.info } : this.jobs.get(id);
  }

  cancel(id: number): void {
    const l = this.live.get(id);
    if (!l) {
      if (!this.jobs.get(id)) throw new Error(`no job with id ${id}`);
      return; // already finished: nothing to cancel
    }
    this.log(l, 'cancel requested');
    l.controller.abort(new CancelledError());
  }

  /** Resolves when every job started so far has settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.live.values()].map((l) => l.done));
  }

  /** The job started with this very spec moments ago (a double click), if it is still running. */
  duplicate(spec: JobSpec): JobInfo | undefined {
    const key = JSON.stringify(spec);
    const now = performance.now();
    for (const l of this.live.values())
      if (now - l.startedAt < DUPLICATE_WINDOW_MS && JSON.stringify(l.info.spec) === key) return { ...l.info };
    return undefined;
  }

  start(spec: JobSpec, work: JobWork): JobInfo {
    const info = this.jobs.create(spec);
    const now = performance.now();
    const l: Live = { info, controller: new AbortController(), startedAt: now, stageStart: now, lastSave: now, lastEvent: 0, done: Promise.resolve() };
    this.live.set(info.id, l);
    const ctx: JobContext = {
      signal: l.controller.signal,
      stage: (name) => {
        if (l.info.stage === name) return;
        l.info.stage = name;
        l.info.progress = 0;
        l.info.etaSeconds = null;
        l.stageStart = performance.now();
        this.log(l, `${name}…`);
      },
      progress: (done, total) => {
        const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
        l.info.progress = frac;
        const elapsed = (performance.now() - l.stageStart) / 1000;
        l.info.etaSeconds = frac > 0.01 && frac < 1 ? (elapsed / frac) * (1 - frac) : frac >= 1 ? 0 : null;
        this.changed(l, false);
      },
      log: (line) => this.log(l, line),
      linkRun: (runId) => {
        l.info.runId = runId;
        this.changed(l, true);
      },
    };
    this.emit(l.info);
    l.done = this.execute(l, ctx, work);
    return { ...info };
  }

  private async execute(l: Live, ctx: JobContext, work: JobWork): Promise<void> {
    try {
      // yield once so start() returns before the work's synchronous part runs
      await new Promise((r) => setImmediate(r));
      if (l.controller.signal.aborted) throw new CancelledError();
      l.info.result = (await work(ctx)) ?? null;
      l.info.status = 'done';
      l.info.progress = 1;
      this.pushLog(l, 'done');
    } catch (e) {
      const cancelled = e instanceof CancelledError || l.controller.signal.aborted;
      l.info.status = cancelled ? 'cancelled' : 'failed';
      l.info.error = cancelled ? 'cancelled by the user' : userMessage(e);
      this.pushLog(l, cancelled ? 'cancelled' : `failed: ${l.info.error}`);
    } finally {
      l.info.etaSeconds = null;
      l.info.finishedAt = new Date().toISOString();
      this.live.delete(l.info.id);
      this.jobs.finish(l.info);
      this.emit(l.info, l.info.log[l.info.log.length - 1]);
    }
  }

  private pushLog(l: Live, line: string) {
    const stamped = `${new Date().toISOString().slice(11, 19)} ${line}`;
    l.info.log = [...l.info.log.slice(-(LOG_LINES - 1)), stamped];
    return stamped;
  }

  private log(l: Live, line: string) {
    const stamped = this.pushLog(l, line);
    this.changed(l, true, stamped);
  }

  private changed(l: Live, force: boolean, line?: string) {
    const now = performance.now();
    if (force || now - l.lastSave >= SAVE_EVERY_MS) {
      l.lastSave = now;
      this.jobs.saveProgress(l.info);
    }
    if (force || now - l.lastEvent >= EVENT_EVERY_MS) {
      l.lastEvent = now;
      this.emit(l.info, line);
    }
  }

  private emit(info: JobInfo, line?: string) {
    const event: JobEvent = { job: { ...info, log: [] }, ...(line !== undefined ? { line } : {}) };
    for (const f of this.listeners) {
      try {
        f(event);
      } catch {
        // a broken listener (a closed socket) must not stop the job
      }
    }
  }
}
