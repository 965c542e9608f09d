// Shared benchmark plumbing: timing, and the JSON file each benchmark writes and prints.
import fs from 'node:fs';
import path from 'node:path';

import { artifactsDir } from '../helpers/shared.js';

/** Median seconds of `runs` calls of fn after one warm-up call. */
export function timeIt(fn: () => void, runs = 5): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push((performance.now() - s) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

export function writeBenchResult(name: string, result: unknown): string {
  const file = path.join(artifactsDir('bench'), `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${file}`);
  return file;
}
