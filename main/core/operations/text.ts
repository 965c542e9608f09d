import path from 'node:path';

import { describeTextSource, parseTextSource, type TextSource } from '../calibration/text-source.js';
import type { TextArg } from './spec.js';

export function textSource(t: TextArg): TextSource {
  return typeof t === 'string' ? parseTextSource(t) : t;
}

export function textPath(t: TextArg): string {
  return textSource(t).path;
}

/** FILE@START:END with the file's absolute path, as text sets record it (a later process may run elsewhere). */
export function recordedText(t: TextSource): string {
  return describeTextSource({ ...t, path: path.resolve(t.path) });
}
