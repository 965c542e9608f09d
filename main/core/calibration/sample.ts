// Calibration sets: N sequences of L tokens drawn from a tokenized text with a seed, as the GPTQ
// reference code does (random windows), each sequence starting with BOS when the model adds it.
import type { Tokenizer } from '../tokenizer/types.js';
import { LoadedText, TextSource, describeTextSource, loadText } from './text-source.js';

export interface CalibrationParams {
  sequences: number;
  length: number;
  seed: number;
}

export const DEFAULT_CALIBRATION: CalibrationParams = { sequences: 128, length: 512, seed: 0 };

export interface CalibrationSet {
  source: TextSource;
  sha256: string;
  params: CalibrationParams;
  /** tokens in the whole source text */
  textTokens: number;
  /** sequences × length token ids, row-major */
  tokens: Int32Array;
  /** true when the text was too short for distinct windows and some overlap */
  overlapping: boolean;
}

/** Small, fast, seeded generator (xorshift32) so sets are reproducible across machines. */
function xorshift(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function sampleCalibration(text: LoadedText, tokenizer: Tokenizer, params: CalibrationParams): CalibrationSet {
  const { sequences, length, seed } = params;
  if (!Number.isInteger(sequences) || sequences < 1) throw new Error('calibration needs at least one sequence');
  if (!Number.isInteger(length) || length < 2) throw new Error('calibration sequences need at least 2 tokens');
  const ids = tokenizer.encode(text.text, { addBos: false });
  const withBos = tokenizer.addBos && tokenizer.bos !== null;
  const body = withBos ? length - 1 : length;
  if (ids.length < body)
    throw new Error(
      `${describeTextSource(text.source)} has ${ids.length} tokens, fewer than one calibration sequence of ${length}; use shorter sequences or more text`,
    );
  const rand = xorshift(seed);
  const tokens = new Int32Array(sequences * length);
  const span = ids.length - body;
  for (let s = 0; s < sequences; s++) {
    const start = Math.floor(rand() * (span + 1));
    let o = s * length;
    if (withBos) tokens[o++] = tokenizer.bos!;
    for (let i = 0; i < body; i++) tokens[o++] = ids[start + i];
  }
  return {
    source: text.source,
    sha256: text.sha256,
    params,
    textTokens: ids.length,
    tokens,
    overlapping: ids.length < sequences * body,
  };
}

export function loadCalibration(source: TextSource, tokenizer: Tokenizer, params: CalibrationParams = DEFAULT_CALIBRATION): CalibrationSet {
  return sampleCalibration(loadText(source), tokenizer, params);
}

/** Refuses calibration text that overlaps the evaluation text (same file, intersecting bytes). */
export function assertDisjoint(calibration: TextSource, evaluation: TextSource): void {
  if (calibration.path !== evaluation.path) return;
  const a0 = calibration.start ?? 0;
  const a1 = calibration.end ?? Infinity;
  const b0 = evaluation.start ?? 0;
  const b1 = evaluation.end ?? Infinity;
  if (a0 < b1 && b0 < a1)
    throw new Error(
      `calibration text ${describeTextSource(calibration)} overlaps evaluation text ${describeTextSource(evaluation)}: ` +
        'use separate text (or a byte range, FILE@START:END) so the evaluation measures unseen text',
    );
}
