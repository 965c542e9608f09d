import { parseTextSource, type TextSource } from '../calibration/text-source.js';
import type { TextArg } from './spec.js';

export function textSource(t: TextArg): TextSource {
  return typeof t === 'string' ? parseTextSource(t) : t;
}

export function textPath(t: TextArg): string {
  return textSource(t).path;
}
