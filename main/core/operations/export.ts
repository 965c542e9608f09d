// Export: a finished quantize run's file copied where the user wants it, checked against the
// sha256 recorded when it was written, through a temporary file renamed when complete.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { GgufPreview } from '../../contract/api.js';
import { throwIfCancelled } from '../../engine/cancelled.js';
import { writeAll, writeAtomically } from '../gguf/writer.js';
import { ggufPreview } from '../gguf/preview.js';
import type { Operation } from './runner.js';
import type { ExportSpec } from './spec.js';

const CHUNK = 8 << 20;

export const exportOperation: Operation<ExportSpec, GgufPreview> = {
  unit: 'MiB',
  files: (s) => ({ inputs: [], outputs: [s.out] }),
  async prepare(spec, ctx) {
    if (!ctx.store) throw new Error('export reads the run from the database');
    const r = ctx.store.run(spec.runId);
    if (!r || r.kind !== 'quantize') throw new Error(`run ${spec.runId} is not a quantize run`);
    const results = r.results as { out?: string; sha256?: string } | null;
    if (r.status !== 'done' || !results?.out) throw new Error(`quantize run ${spec.runId} has no finished file`);
    const src = path.resolve(results.out);
    const dest = path.resolve(spec.out);
    if (!fs.existsSync(src)) throw new Error(`the file of run ${spec.runId} is gone: ${src}`);
    return {
      run: null,
      async execute(x) {
        if (dest !== src) await copyVerified(src, dest, results.sha256, x.signal, (d, t) => x.progress('copying', d, t));
        x.log(`exported ${dest}`);
        return ggufPreview(dest);
      },
    };
  },
};

async function copyVerified(src: string, dest: string, sha256: string | undefined, signal: AbortSignal | undefined, progress: (doneMiB: number, totalMiB: number) => void): Promise<void> {
  const size = fs.statSync(src).size;
  const hash = crypto.createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  const input = fs.openSync(src, 'r');
  try {
    await writeAtomically(dest, async (fd) => {
      for (let at = 0; at < size; ) {
        throwIfCancelled(signal);
        const n = fs.readSync(input, buf, 0, Math.min(CHUNK, size - at), at);
        if (n <= 0) throw new Error(`${src} ended early while copying`);
        hash.update(buf.subarray(0, n));
        writeAll(fd, buf.subarray(0, n), at);
        at += n;
        progress(at / 1048576, size / 1048576);
        await new Promise((r) => setImmediate(r));
      }
      if (sha256 && hash.digest('hex') !== sha256) throw new Error(`the file of this run changed since it was written (its sha256 differs from the one recorded): ${src}`);
    });
  } finally {
    fs.closeSync(input);
  }
}
