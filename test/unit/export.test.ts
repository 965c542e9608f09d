// Streaming export: exact blocks, metadata and provenance, and nothing left behind on cancel,
// bad weights or a full disk.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { exportGguf } from '../../main/core/export/export-gguf.js';
import { CancelledError } from '../../main/engine/cancelled.js';
import { exportMetadata } from '../../main/core/export/metadata.js';
import { ggmlTypeByName } from '../../main/core/gguf/ggml-types.js';
import { kvString, readGguf } from '../../main/core/gguf/reader.js';
import { kv, writeGgufFile } from '../../main/core/gguf/writer.js';
import { golden, readTensorBytes, sharedPath, skipNoShared } from '../helpers/shared.js';
import { tensorRefs } from '../helpers/gguf-tensors.js';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-export-'));
const sha = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

function pureQ8Plan() {
  const src = readGguf(sharedPath('golden', 'stories260K-f32.gguf'));
  const want = new Map(golden()['stories260K-pure-Q8_0.gguf'].tensors.map((t) => [t.name, t]));
  const tensors = tensorRefs(src).map((s) => ({ name: s.name, type: want.get(s.name)!.type, source: s }));
  return { src, tensors, want };
}

describe('GGUF export', { skip: skipNoShared }, () => {
  it('writes llama.cpp-identical blocks, the source metadata and our provenance', async () => {
    const { src, tensors, want } = pureQ8Plan();
    const out = path.join(tmpDir(), 'q8.gguf');
    const metadata = exportMetadata(src.kv, { fileType: 7, quantized: true, provenance: { method: 'rtn', preset: 'Q8_0' } });
    const res = await exportGguf({ outPath: out, metadata, tensors, threads: 2 });
    const written = readGguf(out);
    assert.equal(res.bytes, fs.statSync(out).size);
    for (const t of written.tensors) assert.equal(sha(readTensorBytes(out, t.fileOffset, t.nbytes)), want.get(t.name)!.sha256, t.name);
    assert.equal(kvString(written, 'lowbit.method'), 'rtn');
    assert.equal(written.kv.get('general.file_type')!.value, 7);
    assert.deepEqual(written.kv.get('tokenizer.ggml.tokens'), src.kv.get('tokenizer.ggml.tokens'));
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['q8.gguf']);
  });

  it('leaves no file when cancelled', async () => {
    const { src, tensors } = pureQ8Plan();
    const dir = tmpDir();
    const ac = new AbortController();
    const metadata = exportMetadata(src.kv, { fileType: 7, quantized: true, provenance: { method: 'rtn' } });
    const p = exportGguf({ outPath: path.join(dir, 'x.gguf'), metadata, tensors, signal: ac.signal });
    ac.abort();
    await assert.rejects(p, CancelledError);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('names the tensor and position of a NaN weight and writes nothing', async () => {
    const dir = tmpDir();
    const data = new Float32Array(64 * 2).fill(0.5);
    data[64 + 5] = NaN;
    const bad = path.join(dir, 'nan.gguf');
    await writeGgufFile(bad, new Map([['general.architecture', kv.str('llama')]]), [
      { name: 'blk.0.attn_q.weight', type: ggmlTypeByName('F32')!, ne: [64, 2], data: new Uint8Array(data.buffer) },
    ]);
    const f = readGguf(bad);
    const out = path.join(dir, 'out.gguf');
    await assert.rejects(
      exportGguf({ outPath: out, metadata: f.kv, tensors: tensorRefs(f).map((s) => ({ name: s.name, type: 'F16', source: s })) }),
      /tensor blk\.0\.attn_q\.weight has a non-finite weight \(NaN\) at row 1, column 5/,
    );
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(fs.readdirSync(dir), ['nan.gguf']);
  });

  it('reports a full disk and leaves no partial file', async (t) => {
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a small tmpfs here (needs root): full-disk test skipped');
      return;
    }
    try {
      const src = readGguf(sharedPath('golden', 'stories260K-f32.gguf'));
      const tensors = tensorRefs(src).map((s) => ({ name: s.name, type: s.type, source: s }));
      const metadata = exportMetadata(src.kv, { fileType: 0, quantized: false, provenance: { method: 'copy' } });
      await assert.rejects(exportGguf({ outPath: path.join(mnt, 'big.gguf'), metadata, tensors }), /disk is full|No space left/);
      assert.deepEqual(fs.readdirSync(mnt), []);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
