// Locates ../shared (test models, text, llama.cpp goldens). Tests that need it skip with a
// clear message when it is absent instead of failing or passing vacuously.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = process.env.LOWBIT_SHARED ?? path.resolve(repoRoot, '..', 'shared');
export const hasShared = fs.existsSync(path.join(sharedDir, 'golden', 'golden.json'));
export const skipNoShared = hasShared ? false : `../shared not found at ${sharedDir}: real-model tests skipped`;

export function sharedPath(...parts: string[]): string {
  return path.join(sharedDir, ...parts);
}

export interface GoldenTensor {
  name: string;
  type: string;
  ne: number[];
  sha256: string;
}

export interface GoldenFile {
  bytes: number;
  llama_cpp_ppl: number | null;
  file_type: number | null;
  tensors: GoldenTensor[];
}

export function golden(): Record<string, GoldenFile> {
  return JSON.parse(fs.readFileSync(sharedPath('golden', 'golden.json'), 'utf8'));
}

/** Reads a tensor's raw bytes (tests only: the product never loads weights into JS). */
export function readTensorBytes(file: string, fileOffset: number, nbytes: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(nbytes);
    fs.readSync(fd, buf, 0, nbytes, fileOffset);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

export function artifactsDir(...parts: string[]): string {
  const dir = path.join(repoRoot, 'test-artifacts', ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
