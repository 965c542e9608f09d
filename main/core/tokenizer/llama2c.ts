// llama2.c tokenizer files (tok512.bin): int32 max_token_length, then per token an f32 score,
// an int32 length and the bytes. Pieces carry plain spaces (the exporter replaced SentencePiece's
// ▁); ids 0/1/2 are <unk>/<s>/</s> and <0xNN> pieces are byte fallbacks. Encoded with the same
// merge-by-score algorithm as llama.cpp's SPM vocabularies.
import fs from 'node:fs';

import { SpmTokenizer, TOKEN_TYPE } from './spm.js';

export function llama2cTokenizer(file: string, nVocab: number): SpmTokenizer {
  const buf = fs.readFileSync(file);
  const tokens: string[] = [];
  const scores: number[] = [];
  let o = 4;
  for (let i = 0; i < nVocab; i++) {
    if (o + 8 > buf.length) throw new Error(`${file}: truncated at token ${i} of ${nVocab}`);
    scores.push(buf.readFloatLE(o));
    const len = buf.readInt32LE(o + 4);
    o += 8;
    if (len < 0 || o + len > buf.length) throw new Error(`${file}: token ${i} has an impossible length ${len}`);
    tokens.push(buf.toString('utf8', o, o + len).replaceAll(' ', '\u2581'));
    o += len;
  }
  const types = tokens.map((t, i) =>
    i === 0 ? TOKEN_TYPE.UNKNOWN : i <= 2 ? TOKEN_TYPE.CONTROL : /^<0x[0-9A-F]{2}>$/.test(t) ? TOKEN_TYPE.BYTE : TOKEN_TYPE.NORMAL,
  );
  return new SpmTokenizer({ tokens, scores, types, bos: 1, eos: 2, unk: 0, addBos: true, addEos: false, addSpacePrefix: true });
}
