// Hostile files: thousands of seeded mutations of a golden GGUF header (flipped bytes, boundary
// values written over counts, lengths, dimensions, types and offsets, truncations). Each case must
// load or fail with a clear error from our reader/importer/engine — never a crash, a hang, a raw
// RangeError/TypeError from a buffer read, or a runaway allocation.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { GgufFormatError, readGguf } from '../../main/core/gguf/reader.js';
import { describeGguf } from '../../main/core/model/gguf-import.js';
import { ModelImportError } from '../../main/core/model/errors.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { mulberry32 } from '../helpers/random.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

const CASES = 3000;
const BOUNDARY = [0n, 1n, 2n, 3n, 4n, 5n, 31n, 32n, 33n, 64n, 255n, 256n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 1n << 40n, 1n << 60n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

/** Loads a file the way the product does; returns the error (null when it loaded). */
function load(file: string): Error | null {
  try {
    const d = describeGguf(readGguf(file));
    const h = openModel(d);
    native().closeModel(h);
    return null;
  } catch (e) {
    return e as Error;
  }
}

function isClearError(e: Error): boolean {
  if (e instanceof GgufFormatError || e instanceof ModelImportError) return true;
  // the engine's own checks surface as plain Errors with a message naming the problem
  return e.constructor === Error && e.message.length > 10 && !/Cannot read|undefined|out of range index/i.test(e.message);
}

describe('hostile GGUF files', { skip: skipNoShared }, () => {
  it(`${CASES} seeded header mutations load or fail clearly`, () => {
    const original = fs.readFileSync(sharedPath('golden', 'stories260K-pure-Q4_0.gguf'));
    const headerEnd = readGguf(sharedPath('golden', 'stories260K-pure-Q4_0.gguf')).dataOffset;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-fuzz-'));
    const file = path.join(dir, 'm.gguf');
    fs.writeFileSync(file, original);
    const fd = fs.openSync(file, 'r+');
    const rand = mulberry32(20261122);
    const counts = { loaded: 0, rejected: 0 };
    let slowest = 0;
    try {
      for (let c = 0; c < CASES; c++) {
        const header = Buffer.from(original.subarray(0, headerEnd));
        let truncateTo = -1;
        const kind = Math.floor(rand() * 4);
        if (kind === 0) {
          for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) header[Math.floor(rand() * headerEnd)] ^= 1 << Math.floor(rand() * 8);
        } else if (kind === 1) {
          const at = Math.floor(rand() * (headerEnd - 8));
          header.writeBigUInt64LE(BOUNDARY[Math.floor(rand() * BOUNDARY.length)], at);
        } else if (kind === 2) {
          const at = Math.floor(rand() * (headerEnd - 4));
          header.writeUInt32LE(Number(BOUNDARY[Math.floor(rand() * 16)] & 0xffffffffn), at);
        } else {
          truncateTo = Math.floor(rand() * original.length);
        }
        fs.writeSync(fd, header, 0, headerEnd, 0);
        if (truncateTo >= 0) fs.ftruncateSync(fd, truncateTo);
        const t0 = performance.now();
        const err = load(file);
        slowest = Math.max(slowest, performance.now() - t0);
        if (err) {
          assert.ok(isClearError(err), `case ${c} (kind ${kind}): unclear ${err.constructor.name}: ${err.message}\n${err.stack}`);
          counts.rejected++;
        } else counts.loaded++;
        if (truncateTo >= 0) fs.writeSync(fd, original, 0, original.length, 0);
      }
    } finally {
      fs.closeSync(fd);
    }
    assert.ok(slowest < 2000, `slowest case took ${slowest.toFixed(0)} ms`);
    assert.ok(process.memoryUsage().rss < 2 * 1024 ** 3, 'memory stayed bounded');
    assert.ok(counts.rejected > CASES / 4, `only ${counts.rejected} mutations were rejected`);
  });

  const cases: Array<[string, (b: Buffer, headerEnd: number) => Buffer, RegExp]> = [
    ['wrong magic', (b) => Buffer.concat([Buffer.from('GGML'), b.subarray(4)]), /not a GGUF file: magic is "GGML"/],
    ['version 1', (b) => { const x = Buffer.from(b); x.writeUInt32LE(1, 4); return x; }, /GGUF version 1 is not supported/],
    ['2^60 tensors', (b) => { const x = Buffer.from(b); x.writeBigUInt64LE(1n << 60n, 8); return x; }, /tensor count is \d+, more than this file can hold/],
    ['2^63-byte string', (b) => { const x = Buffer.from(b); x.writeBigUInt64LE(1n << 63n, 24); return x; }, /length is \d+, more than this file can hold/],
    ['truncated data', (b) => b.subarray(0, b.length - 1000), /runs past the end of the file .*truncated/],
    ['truncated header', (b, h) => b.subarray(0, Math.floor(h / 2)), /truncated/],
  ];
  for (const [name, mutate, message] of cases)
    it(`rejects ${name} with a clear message`, () => {
      const src = sharedPath('golden', 'stories260K-pure-Q4_0.gguf');
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-bad-')), 'bad.gguf');
      fs.writeFileSync(file, mutate(fs.readFileSync(src), readGguf(src).dataOffset));
      const err = load(file);
      assert.ok(err, 'should not load');
      assert.match(err.message, message);
    });
});
