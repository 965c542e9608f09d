// Job rows in SQLite: what the studio shows after the window is closed and reopened.
import type { JobInfo, JobKind, JobSpec, Status } from '../../contract/api.js';
import { isAlive, type Owner, thisProcess } from '../db/owner.js';
import type { Store } from '../db/store.js';
import { removeTempFiles } from '../gguf/writer.js';

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
    const orphans = (this.store.db.prepare(`SELECT id, owner, spec FROM jobs WHERE status = 'running'`).all() as Array<{ id: number; owner: string | null; spec: string }>)
      .map((r) => ({ id: r.id, owner: r.owner === null ? null : (JSON.parse(r.owner) as Owner), spec: JSON.parse(r.spec) as JobSpec }))
      .filter((r) => !isAlive(r.owner));
    const mark = this.store.db.prepare(`UPDATE jobs SET status = 'interrupted', eta_s = NULL, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
                error = COALESCE(error, 'the studio stopped before the job finished') WHERE id = ? AND status = 'running'`);
    for (const j of orphans) {
      mark.run(j.id);
      if (j.spec.kind === 'quantize' && j.owner) removeTempFiles(j.spec.out, j.owner.pid);
    }
    return orphans.length;
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
