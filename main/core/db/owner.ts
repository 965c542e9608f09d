// The process that owns a running run or job, and whether it is still alive. A pid alone can be
// reused after a reboot or a long time; on Linux its start time in /proc tells the two apart.
import type Database from 'better-sqlite3';
import fs from 'node:fs';

import { removeTempFiles } from '../gguf/writer.js';

export interface Owner {
  pid: number;
  /** when the process started, ms since the epoch */
  started: number;
}

export const thisProcess: Owner = { pid: process.pid, started: Math.round(performance.timeOrigin) };

/** Start time of a live Linux process (ms since the epoch), or null where /proc cannot say. */
function linuxStart(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]);
    return (boot + ticks / 100) * 1000; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export function isAlive(o: Owner | null): boolean {
  if (!o || !Number.isSafeInteger(o.pid) || o.pid <= 0) return false;
  if (o.pid === process.pid) return o.started === thisProcess.started;
  try {
    process.kill(o.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = process.platform === 'linux' ? linuxStart(o.pid) : null;
  return started === null || Math.abs(started - o.started) < 5000;
}

/**
 * Rows of `table` left 'running' by a process that is gone become 'interrupted' (with `why`), and
 * the temporary files that process left for the row's output (`out` in its JSON `detail` column) go.
 */
export function interruptOrphans(db: Database.Database, o: { table: 'runs' | 'jobs'; detail: 'params' | 'spec'; why: string; alsoSet?: string }): number {
  const rows = db.prepare(`SELECT id, owner, ${o.detail} AS detail FROM ${o.table} WHERE status = 'running'`).all() as Array<{ id: number; owner: string | null; detail: string }>;
  const mark = db.prepare(`UPDATE ${o.table} SET status = 'interrupted', ${o.alsoSet ?? ''} finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
                           error = COALESCE(error, ?) WHERE id = ? AND status = 'running'`);
  let interrupted = 0;
  for (const r of rows) {
    const owner = r.owner === null ? null : (JSON.parse(r.owner) as Owner);
    if (isAlive(owner)) continue;
    mark.run(o.why, r.id);
    interrupted++;
    const out = (JSON.parse(r.detail) as { out?: unknown }).out;
    if (typeof out === 'string' && owner) removeTempFiles(out, owner.pid);
  }
  return interrupted;
}
