// Remembers each model file's modification time, so its sha256 is recomputed only when the
// file changes.
import type { Database } from 'better-sqlite3';

export const name = 'model file modification time';

export function up(db: Database): void {
  db.exec(`ALTER TABLE models ADD COLUMN mtime_ms INTEGER`);
}
