// Options shared by several commands.
import { InvalidArgumentError } from 'commander';

import { defaultDbPath } from '../core/db/paths.js';
import { Store } from '../core/db/store.js';

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive whole number`);
    return n;
  };
}

export function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

export const DB_HELP = `the SQLite database that records runs (default: ${defaultDbPath()}; LOWBIT_DATA_DIR moves it)`;

export function openStore(dbPath: string | undefined): Store {
  return new Store(dbPath ?? defaultDbPath());
}
