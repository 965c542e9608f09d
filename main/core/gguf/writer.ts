// Serialises GGUF headers and writes whole files atomically (temp file, fsync, rename).
// Tensor data is appended by the caller in the order and at the offsets planned here, so a
// writer can stream each tensor without holding the model in memory.
import fs from 'node:fs';
import path from 'node:path';

import { GgmlTypeDesc, rowsFit, rowWidthProblem, tensorBytes } from './ggml-types.js';
import { GgufKv, GgufScalar, GgufType } from './gguf-values.js';

export interface PlannedTensor {
  name: string;
  type: GgmlTypeDesc;
  ne: number[];
}

export interface GgufLayout {
  header: Buffer;
  /** absolute file offset of each tensor's data, in input order */
  offsets: number[];
  nbytes: number[];
  dataOffset: number;
  fileSize: number;
  alignment: number;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer) {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  concat() {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeScalar(sink: ByteSink, type: GgufType, v: GgufScalar, key: string) {
  const b = Buffer.alloc(8);
  const num = () => {
    if (typeof v !== 'number' && typeof v !== 'bigint') throw new Error(`metadata ${key}: ${String(v)} is not a number`);
    return v;
  };
  switch (type) {
    case GgufType.UINT8: b.writeUInt8(Number(num())); return sink.push(b.subarray(0, 1));
    case GgufType.INT8: b.writeInt8(Number(num())); return sink.push(b.subarray(0, 1));
    case GgufType.UINT16: b.writeUInt16LE(Number(num())); return sink.push(b.subarray(0, 2));
    case GgufType.INT16: b.writeInt16LE(Number(num())); return sink.push(b.subarray(0, 2));
    case GgufType.UINT32: b.writeUInt32LE(Number(num())); return sink.push(b.subarray(0, 4));
    case GgufType.INT32: b.writeInt32LE(Number(num())); return sink.push(b.subarray(0, 4));
    case GgufType.FLOAT32: b.writeFloatLE(Number(num())); return sink.push(b.subarray(0, 4));
    case GgufType.FLOAT64: b.writeDoubleLE(Number(num())); return sink.push(b.subarray(0, 8));
    case GgufType.UINT64: b.writeBigUInt64LE(BigInt(num())); return sink.push(b);
    case GgufType.INT64: b.writeBigInt64LE(BigInt(num())); return sink.push(b);
    case GgufType.BOOL: b.writeUInt8(v ? 1 : 0); return sink.push(b.subarray(0, 1));
    case GgufType.STRING:
      if (typeof v !== 'string') throw new Error(`metadata ${key}: expected a string`);
      return sink.str(v);
    default:
      throw new Error(`metadata ${key}: cannot write value type ${type}`);
  }
}

/** Lays out a GGUF v3 file: header bytes plus where each tensor's data goes. */
export function layoutGguf(kv: Map<string, GgufKv>, tensors: PlannedTensor[], alignment = 32): GgufLayout {
  const sink = new ByteSink();
  sink.push(Buffer.from('GGUF', 'latin1'));
  sink.u32(3);
  sink.u64(tensors.length);
  const entries = [...kv.entries()];
  if (alignment !== 32 && !kv.has('general.alignment'))
    entries.push(['general.alignment', { type: GgufType.UINT32, value: alignment }]);
  sink.u64(entries.length);
  for (const [key, e] of entries) {
    sink.str(key);
    sink.u32(e.type);
    if (e.type === GgufType.ARRAY) {
      sink.u32(e.elemType);
      sink.u64(e.value.length);
      for (const v of e.value) writeScalar(sink, e.elemType, v, key);
    } else {
      writeScalar(sink, e.type, e.value, key);
    }
  }
  const offsets: number[] = [];
  const nbytes: number[] = [];
  let rel = 0;
  for (const t of tensors) {
    if (!rowsFit(t.type, t.ne[0])) throw new Error(`tensor ${t.name}: ${rowWidthProblem(t.type, t.ne[0])}`);
    sink.str(t.name);
    sink.u32(t.ne.length);
    for (const n of t.ne) sink.u64(n);
    sink.u32(t.type.id);
    sink.u64(rel);
    offsets.push(rel);
    const size = tensorBytes(t.type, t.ne);
    nbytes.push(size);
    rel = align(rel + size, alignment);
  }
  const headerLen = sink.length;
  const dataOffset = align(headerLen, alignment);
  const header = Buffer.concat([sink.concat(), Buffer.alloc(dataOffset - headerLen)]);
  // like llama.cpp, the last tensor is padded to the alignment too
  return {
    header,
    offsets: offsets.map((o) => o + dataOffset),
    nbytes,
    dataOffset,
    fileSize: dataOffset + rel,
    alignment,
  };
}

/**
 * Writes `finalPath` atomically: everything goes to a temp file beside it, which is fsynced and
 * renamed only after `fill` completed. On any error (full disk, cancel) the temp file is
 * removed and the final name is untouched.
 */
// A temporary file names its final file and the process writing it, so that a later start can
// remove what a crashed process left (removeTempFiles) and nothing else.
const tempPrefix = (finalPath: string, pid: number) => `.${path.basename(finalPath)}.${pid}.`;

export async function writeAtomically(finalPath: string, fill: (fd: number, tempPath: string) => Promise<void> | void): Promise<void> {
  const dir = path.dirname(path.resolve(finalPath));
  const tmp = path.join(dir, `${tempPrefix(finalPath, process.pid)}${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'wx');
  let ok = false;
  try {
    await fill(fd, tmp);
    fs.fsyncSync(fd);
    ok = true;
  } finally {
    fs.closeSync(fd);
    if (!ok) fs.rmSync(tmp, { force: true });
  }
  fs.renameSync(tmp, finalPath);
}

/** Removes the temporary files that process `pid` (gone) left for `finalPath`; returns how many. */
export function removeTempFiles(finalPath: string, pid: number): number {
  const dir = path.dirname(path.resolve(finalPath));
  const prefix = tempPrefix(finalPath, pid);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => n.startsWith(prefix) && /^\d+\.tmp$/.test(n.slice(prefix.length)));
  for (const n of stale) fs.rmSync(path.join(dir, n), { force: true });
  return stale.length;
}

export function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, position + done);
}

/** Writes a small GGUF file whose tensor data is in memory (fixtures, tests, tools). */
export async function writeGgufFile(
  finalPath: string,
  kv: Map<string, GgufKv>,
  tensors: Array<PlannedTensor & { data: Uint8Array }>,
  alignment = 32,
): Promise<GgufLayout> {
  const layout = layoutGguf(kv, tensors, alignment);
  tensors.forEach((t, i) => {
    if (t.data.length !== layout.nbytes[i]) throw new Error(`tensor ${t.name}: ${t.data.length} bytes given, ${layout.nbytes[i]} expected`);
  });
  await writeAtomically(finalPath, (fd) => {
    writeAll(fd, layout.header, 0);
    let end = layout.header.length;
    tensors.forEach((t, i) => {
      if (layout.offsets[i] > end) writeAll(fd, Buffer.alloc(layout.offsets[i] - end), end);
      writeAll(fd, t.data, layout.offsets[i]);
      end = layout.offsets[i] + t.data.length;
    });
    if (end < layout.fileSize) writeAll(fd, Buffer.alloc(layout.fileSize - end), end);
  });
  return layout;
}

/** Convenience constructors for metadata entries. */
export const kv = {
  str: (value: string): GgufKv => ({ type: GgufType.STRING, value }),
  u32: (value: number): GgufKv => ({ type: GgufType.UINT32, value }),
  i32: (value: number): GgufKv => ({ type: GgufType.INT32, value }),
  f32: (value: number): GgufKv => ({ type: GgufType.FLOAT32, value }),
  bool: (value: boolean): GgufKv => ({ type: GgufType.BOOL, value }),
  strs: (value: string[]): GgufKv => ({ type: GgufType.ARRAY, elemType: GgufType.STRING, value }),
  f32s: (value: number[]): GgufKv => ({ type: GgufType.ARRAY, elemType: GgufType.FLOAT32, value }),
  i32s: (value: number[]): GgufKv => ({ type: GgufType.ARRAY, elemType: GgufType.INT32, value }),
};
