// Numbered schema migrations tracked in PRAGMA user_version. Each runs in a transaction.
import type { Database } from 'better-sqlite3';

import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-tensor-stats.js';
import * as m003 from './migrations/003-model-file-stamp.js';
import * as m004 from './migrations/004-jobs.js';
import * as m005 from './migrations/005-plans.js';
import * as m006 from './migrations/006-owners-and-ids.js';

interface Migration {
  name: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006];
export const LATEST_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema to `target` (default: latest). Refuses to downgrade or to open newer databases. */
export function migrate(db: Database, target = LATEST_VERSION): void {
  const current = schemaVersion(db);
  if (current > LATEST_VERSION)
    throw new Error(`database schema version ${current} is newer than this Lowbit Studio understands (${LATEST_VERSION}); upgrade the studio`);
  if (target < current) throw new Error(`cannot migrate down from schema ${current} to ${target}`);
  for (let v = current; v < target; v++) {
    db.transaction(() => {
      MIGRATIONS[v].up(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
