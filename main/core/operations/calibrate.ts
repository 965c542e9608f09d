// Calibrate: tokenize calibration texts and draw their sequences, recorded as text sets that
// sensitivity and GPTQ runs then refer to.
import path from 'node:path';

import { throwIfCancelled } from '../../engine/cancelled.js';
import { loadCalibrationOffThread } from '../calibration/tokenize.js';
import type { Operation } from './runner.js';
import type { CalibrateSpec } from './spec.js';
import { recordedText, textPath, textSource } from './text.js';

export interface CalibrateResult {
  textSets: Array<{ id: number | null; source: string; textTokens: number; tokens: number; overlapping: boolean }>;
}

export const calibrateOperation: Operation<CalibrateSpec, CalibrateResult> = {
  unit: 'files',
  files: (s) => ({ inputs: s.texts.map(textPath), outputs: [] }),
  async prepare(spec) {
    const sources = spec.texts.map(textSource);
    const sampling = { sequences: spec.sequences, length: spec.length, seed: spec.seed };
    return {
      run: null,
      async execute(x) {
        const textSets: CalibrateResult['textSets'] = [];
        for (const [i, source] of sources.entries()) {
          throwIfCancelled(x.signal);
          const name = recordedText(source);
          x.progress(`tokenizing ${path.basename(source.path)}`, i, sources.length);
          const set = await loadCalibrationOffThread(spec.model, source, sampling, x.signal);
          const id = x.store
            ? x.store.addTextSet({ projectId: x.projectId, purpose: 'calibration', sourcePath: name, sourceSha256: set.sha256, params: { ...sampling, textTokens: set.textTokens, overlapping: set.overlapping }, nTokens: set.tokens.length })
            : null;
          x.log(`${name}: ${set.textTokens} tokens in the text, ${set.tokens.length} sampled (${spec.sequences} × ${spec.length}, seed ${spec.seed})${set.overlapping ? '; windows overlap' : ''}`);
          textSets.push({ id, source: name, textTokens: set.textTokens, tokens: set.tokens.length, overlapping: set.overlapping });
        }
        x.progress('tokenized', sources.length, sources.length);
        return { textSets };
      },
    };
  },
};
