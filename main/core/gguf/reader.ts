// Reads a GGUF file's header (metadata and tensor directory) without touching tensor data.
// Every count, length and offset is checked against the file's size before anything is
// allocated, so hostile files fail with a GgufFormatError instead of crashing or hanging.
import fs from 'node:fs';

import { GgmlTypeDesc, ggmlTypeById, rowsFit, rowWidthProblem, tensorBytes } from './ggml-types.js';
import { GgufKv, GgufScalar, GgufType, SCALAR_SIZE, isValueType } from './gguf-values.js';

export class GgufFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'GgufFormatError';
  }
}

export interface GgufTensorInfo {
  name: string;
  type: GgmlTypeDesc;
  /** ggml order: ne[0] is the row width. */
  ne: number[];
  /** Offset from the start of the data section. */
  offset: number;
  /** Absolute offset in the file. */
  fileOffset: number;
  nbytes: number;
}

export interface GgufFile {
  path: string;
  version: number;
  fileSize: number;
  alignment: number;
  dataOffset: number;
  kv: Map<string, GgufKv>;
  tensors: GgufTensorInfo[];
}

const MAGIC = 'GGUF';
const MAX_NAME = 64;
const MAX_DIMS = 4;
const MAX_STRING = 1 << 30;
const CHUNK = 1 << 20;

/** A forward-only reader over a file descriptor that reads in chunks as parsing needs them. */
class HeaderCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0; // file offset of buf[0]
  pos = 0; // absolute file offset of the next byte

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    private readonly fail: (msg: string) => never,
  ) {}

  remaining(): number {
    return this.fileSize - this.pos;
  }

  private need(n: number, what: string): number {
    if (n > this.remaining()) this.fail(`truncated: ${what} needs ${n} bytes at offset ${this.pos}, file has ${this.remaining()} left`);
    const end = this.pos + n;
    const bufEnd = this.bufStart + this.buf.length;
    if (end > bufEnd) {
      const keepFrom = this.pos - this.bufStart;
      const want = Math.min(Math.max(n, CHUNK), this.fileSize - this.pos);
      const next = Buffer.alloc(want);
      const kept = this.buf.subarray(keepFrom);
      kept.copy(next, 0);
      let filled = kept.length;
      while (filled < want) {
        const r = fs.readSync(this.fd, next, filled, want - filled, this.pos + filled);
        if (r === 0) this.fail(`unexpected end of file at offset ${this.pos + filled}`);
        filled += r;
      }
      this.buf = next;
      this.bufStart = this.pos;
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return at;
  }

  /** Reads n bytes with fn; need() may replace the buffer, so it runs before the buffer is read. */
  private at<T>(n: number, what: string, fn: (b: Buffer, o: number) => T): T {
    const o = this.need(n, what);
    return fn(this.buf, o);
  }

  u8(what: string) { return this.at(1, what, (b, o) => b.readUInt8(o)); }
  i8(what: string) { return this.at(1, what, (b, o) => b.readInt8(o)); }
  u16(what: string) { return this.at(2, what, (b, o) => b.readUInt16LE(o)); }
  i16(what: string) { return this.at(2, what, (b, o) => b.readInt16LE(o)); }
  u32(what: string) { return this.at(4, what, (b, o) => b.readUInt32LE(o)); }
  i32(what: string) { return this.at(4, what, (b, o) => b.readInt32LE(o)); }
  f32(what: string) { return this.at(4, what, (b, o) => b.readFloatLE(o)); }
  f64(what: string) { return this.at(8, what, (b, o) => b.readDoubleLE(o)); }
  u64(what: string) { return this.at(8, what, (b, o) => b.readBigUInt64LE(o)); }
  i64(what: string) { return this.at(8, what, (b, o) => b.readBigInt64LE(o)); }

  /** A uint64 that must fit in a JS number and be at most `max`. */
  count(what: string, max: number): number {
    const v = this.u64(what);
    if (v > BigInt(max)) this.fail(`${what} is ${v}, more than this file can hold (${max}): the file is truncated or corrupt`);
    return Number(v);
  }

  str(what: string, maxLen = MAX_STRING): string {
    const len = this.count(`${what} length`, Math.min(maxLen, this.remaining()));
    return this.at(len, what, (b, o) => b.toString('utf8', o, o + len));
  }
}

export function readGguf(path: string): GgufFile {
  const fail = (msg: string): never => {
    throw new GgufFormatError(path, msg);
  };
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new GgufFormatError(path, `cannot open: ${(e as Error).message}`);
  }
  try {
    const fileSize = fs.fstatSync(fd).size;
    if (fileSize < 24) fail(`not a GGUF file: ${fileSize} bytes is shorter than the header`);
    const c = new HeaderCursor(fd, fileSize, fail);
    const magic = String.fromCharCode(c.u8('magic'), c.u8('magic'), c.u8('magic'), c.u8('magic'));
    if (magic !== MAGIC) fail(`not a GGUF file: magic is ${JSON.stringify(magic)}, expected "GGUF"`);
    const version = c.u32('version');
    if (version !== 2 && version !== 3) fail(`GGUF version ${version} is not supported (2 and 3 are)`);
    // Each tensor info takes at least 8+1 (name) + 4 + 8 + 4 + 8 bytes; each kv at least 8+1+4+1.
    const tensorCount = c.count('tensor count', Math.floor(c.remaining() / 33));
    const kvCount = c.count('metadata count', Math.floor(c.remaining() / 14));

    const kv = new Map<string, GgufKv>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.str(`key of metadata entry ${i}`, 1 << 16);
      const type = c.u32(`type of ${key}`);
      if (!isValueType(type)) fail(`metadata ${key} has unknown value type ${type}`);
      if (kv.has(key)) fail(`metadata key ${key} appears twice`);
      kv.set(key, readValue(c, key, type as GgufType, fail));
    }

    let alignment = 32;
    const al = kv.get('general.alignment');
    if (al) {
      if (al.type !== GgufType.UINT32) fail('general.alignment must be a uint32');
      alignment = al.value as number;
      if (alignment === 0 || (alignment & (alignment - 1)) !== 0) fail(`general.alignment ${alignment} is not a power of two`);
    }

    const tensors: GgufTensorInfo[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      const name = c.str(`name of tensor ${i}`, 1 << 16);
      if (Buffer.byteLength(name) >= MAX_NAME) fail(`tensor name "${name.slice(0, 80)}" is longer than ${MAX_NAME - 1} bytes`);
      if (names.has(name)) fail(`tensor ${name} appears twice`);
      names.add(name);
      const nDims = c.u32(`dimension count of ${name}`);
      if (nDims < 1 || nDims > MAX_DIMS) fail(`tensor ${name} has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`);
      const ne: number[] = [];
      for (let d = 0; d < nDims; d++) ne.push(c.count(`dimension ${d} of ${name}`, Number.MAX_SAFE_INTEGER));
      const typeId = c.u32(`type of ${name}`);
      const type = ggmlTypeById(typeId) ?? fail(`tensor ${name} has unknown ggml type ${typeId}`);
      const offset = c.count(`offset of ${name}`, fileSize);
      if (ne.some((n) => n === 0)) fail(`tensor ${name} has an empty dimension (${ne.join('×')})`);
      const elements = ne.reduce((a, b) => a * b, 1);
      if (!Number.isSafeInteger(elements) || elements > fileSize * (8 / 1.5) * type.blockSize)
        fail(`tensor ${name} has absurd dimensions ${ne.join('×')}`);
      if (!rowsFit(type, ne[0])) fail(`tensor ${name}: ${rowWidthProblem(type, ne[0])}`);
      if (offset % alignment !== 0) fail(`tensor ${name} offset ${offset} is not aligned to ${alignment}`);
      tensors.push({ name, type, ne, offset, fileOffset: 0, nbytes: tensorBytes(type, ne) });
    }

    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    const ordered = [...tensors].sort((a, b) => a.offset - b.offset);
    let end = 0;
    for (const t of ordered) {
      t.fileOffset = dataOffset + t.offset;
      if (t.offset < end) fail(`tensor ${t.name} overlaps the tensor before it`);
      end = t.offset + t.nbytes;
      if (t.fileOffset + t.nbytes > fileSize)
        fail(`tensor ${t.name} (${t.nbytes} bytes at offset ${t.fileOffset}) runs past the end of the file (${fileSize} bytes): the file is truncated`);
    }
    return { path, version, fileSize, alignment, dataOffset, kv, tensors };
  } finally {
    fs.closeSync(fd);
  }
}

function readScalar(c: HeaderCursor, key: string, type: GgufType, fail: (m: string) => never): GgufScalar {
  switch (type) {
    case GgufType.UINT8: return c.u8(key);
    case GgufType.INT8: return c.i8(key);
    case GgufType.UINT16: return c.u16(key);
    case GgufType.INT16: return c.i16(key);
    case GgufType.UINT32: return c.u32(key);
    case GgufType.INT32: return c.i32(key);
    case GgufType.FLOAT32: return c.f32(key);
    case GgufType.FLOAT64: return c.f64(key);
    case GgufType.UINT64: return c.u64(key);
    case GgufType.INT64: return c.i64(key);
    case GgufType.BOOL: {
      const b = c.u8(key);
      if (b > 1) fail(`metadata ${key}: boolean byte is ${b}`);
      return b === 1;
    }
    case GgufType.STRING: return c.str(key);
    default: return fail(`metadata ${key}: type ${type} is not a scalar`);
  }
}

function readValue(c: HeaderCursor, key: string, type: GgufType, fail: (m: string) => never): GgufKv {
  if (type !== GgufType.ARRAY) return { type, value: readScalar(c, key, type, fail) };
  const elemType = c.u32(`element type of ${key}`);
  if (!isValueType(elemType)) fail(`metadata ${key}: unknown array element type ${elemType}`);
  if (elemType === GgufType.ARRAY) fail(`metadata ${key}: nested arrays are not supported`);
  const minSize = elemType === GgufType.STRING ? 8 : SCALAR_SIZE[elemType as GgufType]!;
  const n = c.count(`length of ${key}`, Math.floor(c.remaining() / minSize));
  const value: GgufScalar[] = new Array(n);
  for (let i = 0; i < n; i++) value[i] = readScalar(c, key, elemType as GgufType, fail);
  return { type: GgufType.ARRAY, elemType: elemType as Exclude<GgufType, GgufType.ARRAY>, value };
}

/** Typed metadata access with clear errors. */
export function kvNumber(f: GgufFile, key: string): number | undefined {
  const e = f.kv.get(key);
  if (!e) return undefined;
  if (e.type === GgufType.ARRAY || typeof e.value === 'string' || typeof e.value === 'boolean')
    throw new GgufFormatError(f.path, `metadata ${key} should be a number`);
  return Number(e.value);
}

export function kvString(f: GgufFile, key: string): string | undefined {
  const e = f.kv.get(key);
  if (!e) return undefined;
  if (e.type !== GgufType.STRING) throw new GgufFormatError(f.path, `metadata ${key} should be a string`);
  return e.value as string;
}

export function kvArray(f: GgufFile, key: string): GgufScalar[] | undefined {
  const e = f.kv.get(key);
  if (!e) return undefined;
  if (e.type !== GgufType.ARRAY) throw new GgufFormatError(f.path, `metadata ${key} should be an array`);
  return e.value;
}
