import os from 'node:os';

/** CPU threads a job uses unless told otherwise: every core this process may use. */
export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}
