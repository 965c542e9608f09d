// SentencePiece .model files (protobuf ModelProto): the pieces with scores and types, the special
// ids from the trainer spec and add_dummy_prefix from the normalizer spec. A minimal wire-format
// reader is enough for these three messages.
import fs from 'node:fs';

import { SpmTokenizer, TOKEN_TYPE } from './spm.js';

class ProtoReader {
  pos = 0;
  constructor(
    private readonly b: Buffer,
    private readonly file: string,
    private readonly end = b.length,
  ) {}
  done() {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error(`${this.file}: truncated protobuf`);
      const byte = this.b[this.pos++];
      result += (byte & 0x7f) * mul;
      if (!(byte & 0x80)) return result;
      mul *= 128;
    }
    throw new Error(`${this.file}: malformed protobuf varint`);
  }
  /** Reads one field: its number, wire type and, for length-delimited fields, a sub-reader. */
  field(): { num: number; wire: number; value: number; sub?: ProtoReader; bytes?: Buffer } {
    const key = this.varint();
    const num = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) return { num, wire, value: this.varint() };
    if (wire === 5) {
      if (this.pos + 4 > this.end) throw new Error(`${this.file}: truncated protobuf`);
      const value = this.b.readFloatLE(this.pos);
      this.pos += 4;
      return { num, wire, value };
    }
    if (wire === 1) {
      this.pos += 8;
      return { num, wire, value: 0 };
    }
    if (wire === 2) {
      const len = this.varint();
      if (this.pos + len > this.end) throw new Error(`${this.file}: truncated protobuf`);
      const sub = new ProtoReader(this.b, this.file, this.pos + len);
      sub.pos = this.pos;
      const bytes = this.b.subarray(this.pos, this.pos + len);
      this.pos += len;
      return { num, wire, value: len, sub, bytes };
    }
    throw new Error(`${this.file}: unsupported protobuf wire type ${wire}`);
  }
}

export function sentencePieceTokenizer(file: string): SpmTokenizer {
  const r = new ProtoReader(fs.readFileSync(file), file);
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  let bos = 1;
  let eos = 2;
  let unk = 0;
  let addDummyPrefix = true;
  while (!r.done()) {
    const f = r.field();
    if (f.num === 1 && f.sub) {
      let piece = '';
      let score = 0;
      let type: number = TOKEN_TYPE.NORMAL;
      while (!f.sub.done()) {
        const p = f.sub.field();
        if (p.num === 1 && p.bytes) piece = p.bytes.toString('utf8');
        else if (p.num === 2) score = p.value;
        else if (p.num === 3) type = p.value;
      }
      tokens.push(piece);
      scores.push(score);
      types.push(type);
    } else if (f.num === 2 && f.sub) {
      while (!f.sub.done()) {
        const p = f.sub.field();
        if (p.num === 40) unk = p.value;
        else if (p.num === 41) bos = p.value;
        else if (p.num === 42) eos = p.value;
      }
    } else if (f.num === 3 && f.sub) {
      while (!f.sub.done()) {
        const p = f.sub.field();
        if (p.num === 3) addDummyPrefix = p.value !== 0;
      }
    }
  }
  if (!tokens.length) throw new Error(`${file}: no SentencePiece pieces found (is this a .model file?)`);
  const id = (v: number) => (v >= 0 && v < tokens.length ? v : null);
  return new SpmTokenizer({ tokens, scores, types, bos: id(bos), eos: id(eos), unk: id(unk), addBos: id(bos) !== null, addEos: false, addSpacePrefix: addDummyPrefix });
}
