// Job rows in SQLite: what the studio shows after the window is closed and reopened.
import type { JobInfo, JobKind, JobSpec, Status } from '../../contract/api.js';
import { interruptOrphans, thisProcess } from '../db/owner.js';
import type { Store } from '../db/store.js';

/** Lines kept per job; older ones are dropped (the full story is in the run's record). */
export const LOG_LINES = 200;

interface JobRowRaw {
  id: number;
  project_id: number | null;
  run_id: number | null;
  kind: JobKind;
  spec: string;
  status: Status;
  stage: string;
  progress: number;
  eta_s: number | null;
  log: string;
  result: string | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

const toInfo = (r: JobRowRaw): JobInfo => ({
  id: r.id,
  projectId: r.project_id,
  runId: r.run_id,
  kind: r.kind,
  spec: JSON.parse(r.spec) as JobSpec,
  status: r.status,
  stage: r.stage,
  progress: r.progress,
  etaSeconds: r.eta_s,
  log: JSON.parse(r.log) as string[],
  result: r.result === null ? null : JSON.parse(r.result),
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export class JobStore {
  constructor(private readonly store: Store) {}

  /** Jobs whose studio process is gone can never finish: they become 'interrupted', and their temporary files go. */
  interruptOrphans(): number {
    return interruptOrphans(this.store.db, { table: 'jobs', detail: 'spec', why: 'the studio stopped before the job finished', alsoSet: 'eta_s = NULL,' });
  }

  create(spec: JobSpec): JobInfo {
    const id = Number(
      this.store.db
        .prepare(`INSERT INTO jobs (id, owner, project_id, kind, spec, status) VALUES (?, ?, ?, ?, ?, 'running')`)
        .run(this.store.nextId('jobs'), JSON.stringify(thisProcess), spec.projectId, spec.kind, JSON.stringify(spec)).lastInsertRowid,
    );
    return this.get(id)!;
  }

  get(id: number): JobInfo | undefined {
    const r = this.store.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRowRaw | undefined;
    return r && toInfo(r);
  }

  list(projectId: number | null, limit = 100): JobInfo[] {
    const rows =
      projectId === null
        ? this.store.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit)
        : this.store.db.prepare('SELECT * FROM jobs WHERE project_id = ? ORDER BY id DESC LIMIT ?').all(projectId, limit);
    return (rows as JobRowRaw[]).map(toInfo);
  }

  saveProgress(j: JobInfo): void {
    this.store.db
      .prepare('UPDATE jobs SET stage = ?, progress = ?, eta_s = ?, log = ?, run_id = ? WHERE id = ?')
      .run(j.stage, j.progress, j.etaSeconds, JSON.stringify(j.log), j.runId, j.id);
  }

  finish(j: JobInfo): void {
    this.store.db
      .prepare(
        `UPDATE jobs SET status = ?, stage = ?, progress = ?, eta_s = NULL, log = ?, run_id = ?, result = ?, error = ?,
         finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`,
      )
      .run(j.status, j.stage, j.progress, JSON.stringify(j.log), j.runId, j.result === null ? null : JSON.stringify(j.result), j.error, j.id);
  }
}
