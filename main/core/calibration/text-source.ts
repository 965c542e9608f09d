// A text file, or a byte range of one, that calibration or evaluation reads. Recorded with its
// hash so a run says exactly which text it saw.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TextSource {
  path: string;
  /** byte range [start, end) of the file; the whole file when absent */
  start?: number;
  end?: number;
}

export interface LoadedText {
  source: TextSource;
  text: string;
  sha256: string;
  bytes: number;
}

/** Parses `file.txt` or `file.txt@START:END` (either bound may be empty). */
export function parseTextSource(spec: string): TextSource {
  const m = /^(.*)@(\d*):(\d*)$/.exec(spec);
  if (!m) return { path: spec };
  const src: TextSource = { path: m[1] };
  if (m[2]) src.start = Number(m[2]);
  if (m[3]) src.end = Number(m[3]);
  if (src.start !== undefined && src.end !== undefined && src.end <= src.start)
    throw new Error(`text range ${spec}: the end must come after the start`);
  return src;
}

export function describeTextSource(s: TextSource): string {
  return s.start === undefined && s.end === undefined ? s.path : `${s.path}@${s.start ?? ''}:${s.end ?? ''}`;
}

/** Reads the text: .txt as is; .jsonl as the `text` field of each line, joined by blank lines. */
export function loadText(source: TextSource): LoadedText {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(source.path);
  } catch (e) {
    throw new Error(`cannot read text ${source.path}: ${(e as Error).message}`);
  }
  if ((source.start ?? 0) > raw.length) throw new Error(`text range of ${source.path} starts past its end (${raw.length} bytes)`);
  const slice = raw.subarray(source.start ?? 0, source.end ?? raw.length);
  const sha256 = crypto.createHash('sha256').update(slice).digest('hex');
  let text = utf8Text(slice, describeTextSource(source));
  if (path.extname(source.path).toLowerCase() === '.jsonl') text = jsonlText(text, source.path);
  if (!text.trim()) throw new Error(`text ${describeTextSource(source)} is empty`);
  return { source, text, sha256, bytes: slice.length };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a slice, refusing binary files: NUL bytes, or invalid UTF-8 beyond a character the range cuts at either end. */
function utf8Text(slice: Buffer, name: string): string {
  if (slice.includes(0)) throw new Error(`${name} is not a text file: it holds NUL bytes (is it a model or another binary file?)`);
  let start = 0;
  while (start < 3 && start < slice.length && (slice[start] & 0xc0) === 0x80) start++;
  try {
    strictUtf8.decode(slice.subarray(start, slice.length - cutAtEnd(slice)));
  } catch {
    throw new Error(`${name} is not UTF-8 text (is it a binary file, or text in another encoding?)`);
  }
  return slice.toString('utf8');
}

/** Bytes of a last character that the range cuts short (its lead byte announces more than remain). */
function cutAtEnd(b: Buffer): number {
  for (let n = 1; n <= 3 && n <= b.length; n++) {
    const lead = b[b.length - n];
    if ((lead & 0xc0) === 0x80) continue;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return need > n ? n : 0;
  }
  return 0;
}

function jsonlText(content: string, file: string): string {
  const parts: string[] = [];
  content.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not valid JSON`);
    }
    const text = (obj as { text?: unknown }).text;
    if (typeof text !== 'string') throw new Error(`${file}:${i + 1}: no "text" string field`);
    parts.push(text);
  });
  return parts.join('\n\n');
}
