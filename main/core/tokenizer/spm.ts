// llama.cpp's SentencePiece-style tokenizer ("llama" vocabularies): the text, with spaces
// escaped as ▁ and a leading space added, starts as single characters; adjacent pairs that form
// a vocabulary token merge, highest score first; what never forms a token falls back to bytes.
import { Heap } from './heap.js';
import type { Tokenizer } from './types.js';

export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface SpmVocab {
  tokens: string[];
  scores: number[];
  types: number[];
  bos: number | null;
  eos: number | null;
  unk: number | null;
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
}

interface Symbol {
  start: number;
  n: number; // UTF-16 code units; 0 once merged away
  prev: number;
  next: number;
}

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

const SPACE = '\u2581';
const HEX = '0123456789ABCDEF';

/** Whether every normal piece is one character: then unigram and BPE-style segmentation agree. */
export function singleCharacterPieces(v: Pick<SpmVocab, 'tokens' | 'types'>): boolean {
  return v.tokens.every((t, i) => v.types[i] !== TOKEN_TYPE.NORMAL || [...t].length === 1);
}

/** Whether llama.cpp finds the newline's byte token (it aborts on a "llama" vocabulary without one). */
export function hasByteFallback(v: Pick<SpmVocab, 'tokens'>): boolean {
  return v.tokens.includes('<0x0A>') || v.tokens.includes('\n');
}

export class SpmTokenizer implements Tokenizer {
  readonly kind = 'spm' as const;
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly addBos: boolean;
  /** the vocabulary, for exporting it to GGUF */
  readonly vocab: SpmVocab;
  private readonly ids = new Map<string, number>();
  private readonly userDefined: string[];
  private readonly byteIds: number[] = [];

  constructor(private readonly v: SpmVocab) {
    this.vocab = v;
    this.vocabSize = v.tokens.length;
    this.bos = v.bos;
    this.eos = v.eos;
    this.addBos = v.addBos;
    v.tokens.forEach((t, i) => this.ids.set(t, i)); // as in llama.cpp, a repeated text maps to its last id
    this.userDefined = v.tokens.filter((_, i) => v.types[i] === TOKEN_TYPE.USER_DEFINED).sort((a, b) => b.length - a.length);
    for (let b = 0; b < 256; b++) {
      const id = this.ids.get(`<0x${HEX[b >> 4]}${HEX[b & 15]}>`) ?? this.ids.get(String.fromCharCode(b));
      this.byteIds.push(id ?? -1);
    }
  }

  encode(text: string, options: { addBos?: boolean } = {}): number[] {
    const out: number[] = [];
    if ((options.addBos ?? true) && this.v.addBos && this.bos !== null) out.push(this.bos);
    let prevSpecial = true;
    for (const frag of this.fragments(text)) {
      if (typeof frag === 'number') {
        out.push(frag);
        prevSpecial = true;
        continue;
      }
      const raw = (this.v.addSpacePrefix && prevSpecial ? ' ' : '') + frag;
      this.tokenizeFragment(raw.replaceAll(' ', SPACE), out);
      prevSpecial = false;
    }
    if ((options.addBos ?? true) && this.v.addEos && this.eos !== null) out.push(this.eos);
    return out;
  }

  /** Splits out user-defined tokens, which llama.cpp matches whole before tokenizing the rest. */
  private fragments(text: string): Array<string | number> {
    if (!text) return [];
    if (!this.userDefined.length) return [text];
    const out: Array<string | number> = [];
    let rest = text;
    outer: while (rest) {
      for (let i = 0; i < rest.length; i++)
        for (const u of this.userDefined)
          if (rest.startsWith(u, i)) {
            if (i > 0) out.push(rest.slice(0, i));
            out.push(this.ids.get(u)!);
            rest = rest.slice(i + u.length);
            continue outer;
          }
      out.push(rest);
      break;
    }
    return out;
  }

  private tokenizeFragment(text: string, out: number[]): void {
    const symbols: Symbol[] = [];
    for (let offs = 0; offs < text.length; ) {
      const n = text.codePointAt(offs)! > 0xffff ? 2 : 1;
      symbols.push({ start: offs, n, prev: symbols.length - 1, next: offs + n === text.length ? -1 : symbols.length + 1 });
      offs += n;
    }
    const revMerge = new Map<string, [number, number]>();
    const queue = new Heap<Bigram>((a, b) => a.score > b.score || (a.score === b.score && a.left < b.left));
    const tryAdd = (left: number, right: number) => {
      if (left === -1 || right === -1) return;
      const s = symbols[left].start;
      const piece = text.slice(s, s + symbols[left].n + symbols[right].n);
      const id = this.ids.get(piece);
      if (id === undefined) return;
      queue.push({ left, right, score: this.v.scores[id], size: piece.length });
      revMerge.set(piece, [left, right]);
    };
    for (let i = 1; i < symbols.length; i++) tryAdd(i - 1, i);
    for (let b = queue.pop(); b; b = queue.pop()) {
      const l = symbols[b.left];
      const r = symbols[b.right];
      if (l.n === 0 || r.n === 0 || l.n + r.n !== b.size) continue;
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) symbols[r.next].prev = b.left;
      tryAdd(l.prev, b.left);
      tryAdd(b.left, l.next);
    }
    const resegment = (sym: Symbol) => {
      const piece = text.slice(sym.start, sym.start + sym.n);
      const id = this.ids.get(piece);
      if (id !== undefined) return void out.push(id);
      const merge = revMerge.get(piece);
      if (!merge) {
        const bytes = [...Buffer.from(piece, 'utf8')].map((b) => this.byteIds[b]);
        if (bytes.every((b) => b >= 0)) out.push(...bytes);
        else if (this.v.unk !== null) out.push(this.v.unk); // no byte fallback: SentencePiece emits <unk>
        else throw new Error(`the vocabulary cannot represent ${JSON.stringify(piece)}: no byte tokens and no <unk>`);
        return;
      }
      resegment(symbols[merge[0]]);
      resegment(symbols[merge[1]]);
    };
    if (symbols.length) for (let i = 0; i !== -1; i = symbols[i].next) resegment(symbols[i]);
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const t = this.v.tokens[id];
      if (t === undefined) throw new Error(`token id ${id} is outside the vocabulary (${this.vocabSize})`);
      const type = this.v.types[id];
      if (type === TOKEN_TYPE.CONTROL) continue;
      const byte = type === TOKEN_TYPE.BYTE ? /^<0x([0-9A-Fa-f]{2})>$/.exec(t) : null;
      if (byte) bytes.push(parseInt(byte[1], 16));
      else bytes.push(...Buffer.from(t.replaceAll(SPACE, ' '), 'utf8'));
    }
    let s = Buffer.from(bytes).toString('utf8');
    if (this.v.addSpacePrefix && s.startsWith(' ')) s = s.slice(1);
    return s;
  }
}
