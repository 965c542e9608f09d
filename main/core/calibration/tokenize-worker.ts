// Tokenizing runs here, on a worker thread: a large text takes seconds of pure JavaScript, which
// on the main thread would stall the web server and job events (a 200 KB range took 2.1 s on
// stories260K's tokenizer). The worker loads the model's tokenizer itself; token ids come back
// as transferred buffers.
import { parentPort } from 'node:worker_threads';

import { importModel } from '../model/import.js';
import { tokenizerForModel } from '../tokenizer/for-model.js';
import { sampleCalibration } from './sample.js';
import { loadText } from './text-source.js';
import type { TokenizeRequest, TokenizeResponse } from './tokenize.js';

parentPort!.once('message', (req: TokenizeRequest) => {
  let res: TokenizeResponse;
  try {
    const tokenizer = tokenizerForModel(importModel(req.model));
    const text = loadText(req.source);
    if (req.mode === 'calibration') {
      res = { ok: true, kind: 'calibration', set: sampleCalibration(text, tokenizer, req.params) };
    } else {
      const tokens = Int32Array.from(tokenizer.encode(text.text));
      res = { ok: true, kind: 'text', text: { source: text.source, sha256: text.sha256, bytes: text.bytes }, tokens, bos: tokenizer.bos, addBos: tokenizer.addBos };
    }
  } catch (e) {
    res = { ok: false, message: (e as Error).message };
  }
  const buffer = res.ok ? (res.kind === 'calibration' ? res.set.tokens.buffer : res.tokens.buffer) : undefined;
  parentPort!.postMessage(res, buffer ? [buffer as ArrayBuffer] : []);
});
