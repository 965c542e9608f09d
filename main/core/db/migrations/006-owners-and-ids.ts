// Which process owns a running run or job (so that another process opening the database never
// marks it interrupted while it runs), and ids that are never given twice, even after a delete
// (a page may still hold the old id).
import type { Database } from 'better-sqlite3';

export const name = 'run and job owners, ids never reused';

export const ID_TABLES = ['projects', 'models', 'text_sets', 'runs', 'jobs', 'plans'] as const;

export function up(db: Database): void {
  db.exec(`
    ALTER TABLE runs ADD COLUMN owner TEXT;   -- JSON: {pid, started} of the process running it
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    CREATE TABLE id_counters (name TEXT PRIMARY KEY, last INTEGER NOT NULL);
  `);
  for (const t of ID_TABLES) db.prepare(`INSERT INTO id_counters (name, last) SELECT ?, COALESCE(MAX(id), 0) FROM ${t}`).run(t);
}
