// The studio's SQLite store. One process owns writes; WAL lets readers (the UI) run beside it.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

import { migrate } from './migrate.js';
import type { ID_TABLES } from './migrations/006-owners-and-ids.js';
import { interruptOrphans, thisProcess } from './owner.js';

type IdTable = (typeof ID_TABLES)[number];

export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface ProjectRow {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface ModelRecord {
  projectId?: number | null;
  path: string;
  sha256: string;
  format: string;
  architecture: string;
  bytes: number;
  tensors: Array<{ name: string; type: string; ne: number[]; nbytes: number }>;
  mtimeMs?: number;
}

export interface RunRow {
  id: number;
  project_id: number | null;
  model_id: number | null;
  text_set_id: number | null;
  kind: string;
  params: unknown;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  timings: Record<string, number> | null;
  results: unknown;
  error: string | null;
}

export interface TensorStat {
  tensor: string;
  layer: number | null;
  kind: string;
  type: string;
  bytes: number;
  error?: number | null;
  activations?: number | null;
  metrics?: Record<string, unknown>;
}

export interface TextSetRecord {
  projectId?: number | null;
  purpose: 'calibration' | 'evaluation';
  sourcePath: string;
  sourceSha256: string;
  params: Record<string, unknown>;
  nTokens: number;
}

export interface TextSetRow extends TextSetRecord {
  id: number;
  createdAt: string;
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const parse = (s: string | null) => (s === null ? null : JSON.parse(s));

function rowToRun(r: Record<string, unknown>): RunRow {
  return {
    ...(r as unknown as RunRow),
    params: parse(r.params as string),
    timings: parse(r.timings as string | null),
    results: parse(r.results as string | null),
  };
}

function rowToTextSet(r: Record<string, unknown>): TextSetRow {
  return {
    id: r.id as number,
    projectId: r.project_id as number | null,
    purpose: r.purpose as TextSetRow['purpose'],
    sourcePath: r.source_path as string,
    sourceSha256: r.source_sha256 as string,
    params: JSON.parse(r.params as string),
    nTokens: r.n_tokens as number,
    createdAt: r.created_at as string,
  };
}

export class Store {
  readonly db: Database.Database;
  /** runs that a previous process left 'running' and that were marked 'interrupted' at open */
  readonly interruptedAtOpen: number;

  constructor(readonly file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.interruptedAtOpen = interruptOrphans(this.db, { table: 'runs', detail: 'params', why: 'the process ended before the run finished' });
  }

  /** The next id of a table: ids are never given twice, even after a delete (migration 006). */
  nextId(table: IdTable): number {
    return (this.db.prepare(`UPDATE id_counters SET last = MAX(last, (SELECT COALESCE(MAX(id), 0) FROM ${table})) + 1 WHERE name = ? RETURNING last`).get(table) as { last: number }).last;
  }

  close(): void {
    this.db.close();
  }

  // projects
  createProject(name: string): ProjectRow {
    if (!name.trim()) throw new Error('a project needs a name');
    const id = this.db.prepare('INSERT INTO projects (id, name) VALUES (?, ?)').run(this.nextId('projects'), name.trim()).lastInsertRowid;
    return this.project(Number(id))!;
  }

  project(id: number): ProjectRow | undefined {
    return this.db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as ProjectRow | undefined;
  }

  projects(): ProjectRow[] {
    return this.db.prepare('SELECT * FROM projects ORDER BY updated_at DESC, id DESC').all() as ProjectRow[];
  }

  renameProject(id: number, name: string): void {
    if (!name.trim()) throw new Error('a project needs a name');
    const r = this.db
      .prepare(`UPDATE projects SET name = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`)
      .run(name.trim(), id);
    if (!r.changes) throw new Error(`no project with id ${id}`);
  }

  deleteProject(id: number): void {
    this.db.prepare('DELETE FROM projects WHERE id = ?').run(id);
  }

  // models
  addModel(m: ModelRecord): number {
    const existing = this.db
      .prepare('SELECT id FROM models WHERE sha256 = ? AND path = ? AND project_id IS ?')
      .get(m.sha256, m.path, m.projectId ?? null) as { id: number } | undefined;
    if (existing) return existing.id;
    const r = this.db
      .prepare(
        'INSERT INTO models (id, project_id, path, sha256, format, architecture, bytes, tensors, mtime_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(this.nextId('models'), m.projectId ?? null, m.path, m.sha256, m.format, m.architecture, m.bytes, JSON.stringify(m.tensors), m.mtimeMs ?? null);
    return Number(r.lastInsertRowid);
  }

  model(id: number): (ModelRecord & { id: number }) | undefined {
    const r = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      id: r.id as number,
      projectId: r.project_id as number | null,
      path: r.path as string,
      sha256: r.sha256 as string,
      format: r.format as string,
      architecture: r.architecture as string,
      bytes: r.bytes as number,
      tensors: JSON.parse(r.tensors as string),
    };
  }

  /** The sha256 recorded for this file when its size and modification time are unchanged. */
  knownHash(path: string, bytes: number, mtimeMs: number): string | undefined {
    const r = this.db
      .prepare('SELECT sha256 FROM models WHERE path = ? AND bytes = ? AND mtime_ms = ? ORDER BY id DESC LIMIT 1')
      .get(path, bytes, mtimeMs) as { sha256: string } | undefined;
    return r?.sha256;
  }

  // text sets
  addTextSet(t: TextSetRecord): number {
    const r = this.db
      .prepare('INSERT INTO text_sets (id, project_id, purpose, source_path, source_sha256, params, n_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.nextId('text_sets'), t.projectId ?? null, t.purpose, t.sourcePath, t.sourceSha256, JSON.stringify(t.params), t.nTokens);
    return Number(r.lastInsertRowid);
  }

  textSets(projectId: number): TextSetRow[] {
    const rows = this.db.prepare('SELECT * FROM text_sets WHERE project_id = ? ORDER BY id DESC').all(projectId) as Record<string, unknown>[];
    return rows.map(rowToTextSet);
  }

  textSet(id: number): TextSetRow | undefined {
    const r = this.db.prepare('SELECT * FROM text_sets WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r && rowToTextSet(r);
  }

  // runs
  startRun(r: { kind: string; params: unknown; projectId?: number | null; modelId?: number | null; textSetId?: number | null }): number {
    const res = this.db
      .prepare(`INSERT INTO runs (id, owner, project_id, model_id, text_set_id, kind, params, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`)
      .run(this.nextId('runs'), JSON.stringify(thisProcess), r.projectId ?? null, r.modelId ?? null, r.textSetId ?? null, r.kind, JSON.stringify(r.params));
    return Number(res.lastInsertRowid);
  }

  finishRun(id: number, status: Exclude<RunStatus, 'running'>, out: { results?: unknown; timings?: Record<string, number>; error?: string }): void {
    this.db
      .prepare(
        `UPDATE runs SET status = ?, results = ?, timings = ?, error = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`,
      )
      .run(status, json(out.results), json(out.timings), out.error ?? null, id);
  }

  /** Gives a run recorded without a project (by a core function that does not know it) to one. */
  setRunProject(id: number, projectId: number): void {
    this.db.prepare('UPDATE runs SET project_id = ? WHERE id = ?').run(projectId, id);
  }

  /** The highest run id so far (0 when none): runs recorded after it are newer. */
  lastRunId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM runs').get() as { id: number }).id;
  }

  run(id: number): RunRow | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r && rowToRun(r);
  }

  runs(filter: { projectId?: number; limit?: number } = {}): RunRow[] {
    const rows =
      filter.projectId === undefined
        ? this.db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(filter.limit ?? 1000)
        : this.db.prepare('SELECT * FROM runs WHERE project_id = ? ORDER BY id DESC LIMIT ?').all(filter.projectId, filter.limit ?? 1000);
    return (rows as Record<string, unknown>[]).map(rowToRun);
  }

  // per-tensor statistics
  addTensorStats(runId: number, stats: TensorStat[]): void {
    const ins = this.db.prepare(
      `INSERT OR REPLACE INTO tensor_stats (run_id, tensor, layer, kind, type, bytes, error, activations, metrics)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const s of stats)
        ins.run(runId, s.tensor, s.layer, s.kind, s.type, s.bytes, s.error ?? null, s.activations ?? null, json(s.metrics));
    })();
  }

  tensorStats(runId: number): TensorStat[] {
    const rows = this.db.prepare('SELECT * FROM tensor_stats WHERE run_id = ? ORDER BY id').all(runId) as Record<string, unknown>[];
    return rows.map((r) => ({
      tensor: r.tensor as string,
      layer: r.layer as number | null,
      kind: r.kind as string,
      type: r.type as string,
      bytes: r.bytes as number,
      error: r.error as number | null,
      activations: r.activations as number | null,
      metrics: parse(r.metrics as string | null) ?? undefined,
    }));
  }
}
