// The writer reproduces a real GGUF file byte for byte from what the reader parsed, and leaves
// nothing behind when it fails.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { readGguf } from '../../main/core/gguf/reader.js';
import { writeAtomically, writeGgufFile } from '../../main/core/gguf/writer.js';
import { readTensorBytes, sharedPath, skipNoShared } from '../helpers/shared.js';

const hash = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

describe('GGUF writer', () => {
  for (const name of ['stories260K-f32.gguf', 'synth256-recipe-Q4_K_M.gguf']) {
    it(`rewrites ${name} byte-identically`, { skip: skipNoShared }, async () => {
      const src = readGguf(sharedPath('golden', name));
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-')), name);
      // keep the source's tensor order (by offset) so the data section lines up
      await writeGgufFile(
        out,
        src.kv,
        src.tensors.map((t) => ({ ...t, data: readTensorBytes(src.path, t.fileOffset, t.nbytes) })),
        src.alignment,
      );
      assert.equal(hash(out), hash(src.path));
    });
  }

  it('removes the temporary file and keeps the old file when filling fails', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-'));
    const target = path.join(dir, 'out.gguf');
    fs.writeFileSync(target, 'previous');
    await assert.rejects(
      writeAtomically(target, () => {
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.equal(fs.readFileSync(target, 'utf8'), 'previous');
    assert.deepEqual(fs.readdirSync(dir), ['out.gguf']);
  });
});
