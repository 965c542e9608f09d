// Tokenizing off the main thread (see tokenize-worker.ts): calibration sets and evaluation texts.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { CalibrationParams, CalibrationSet } from './sample.js';
import type { TextSource } from './text-source.js';

export type TokenizeRequest =
  | { mode: 'calibration'; model: string; source: TextSource; params: CalibrationParams }
  | { mode: 'text'; model: string; source: TextSource };

export interface TokenizedText {
  text: { source: TextSource; sha256: string; bytes: number };
  tokens: Int32Array;
  bos: number | null;
  addBos: boolean;
}

export type TokenizeResponse =
  | { ok: true; kind: 'calibration'; set: CalibrationSet }
  | ({ ok: true; kind: 'text' } & TokenizedText)
  | { ok: false; message: string };

// the worker is this folder's tokenize-worker: .js when built; .ts when running from source under
// tsx, whose loader a worker thread does not inherit, so the worker registers it first
const here = fileURLToPath(import.meta.url);
const fromSource = path.extname(here) === '.ts';
const workerFile = path.join(path.dirname(here), `tokenize-worker${path.extname(here)}`);

function startWorker(): Worker {
  if (!fromSource) return new Worker(workerFile);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = pathToFileURL(workerFile).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}

function inWorker(req: TokenizeRequest, signal?: AbortSignal): Promise<TokenizeResponse & { ok: true }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('cancelled'));
    const w = startWorker();
    const onAbort = () => {
      void w.terminate();
      reject(new Error('cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    w.once('message', (res: TokenizeResponse) => {
      done();
      void w.terminate();
      if (res.ok) resolve(res);
      else reject(new Error(res.message));
    });
    w.once('error', (e) => {
      done();
      reject(e);
    });
    w.once('exit', (code) => {
      done();
      reject(new Error(`the tokenizer worker stopped (exit code ${code})`));
    });
    w.postMessage(req);
  });
}

/** A calibration set as loadCalibration makes it, tokenized on a worker thread. */
export async function loadCalibrationOffThread(model: string, source: TextSource, params: CalibrationParams, signal?: AbortSignal): Promise<CalibrationSet> {
  const r = await inWorker({ mode: 'calibration', model, source, params }, signal);
  if (r.kind !== 'calibration') throw new Error('the tokenizer worker answered the wrong request');
  return r.set;
}

/** A whole text's token ids, tokenized on a worker thread. */
export async function tokenizeTextOffThread(model: string, source: TextSource, signal?: AbortSignal): Promise<TokenizedText> {
  const r = await inWorker({ mode: 'text', model, source }, signal);
  if (r.kind !== 'text') throw new Error('the tokenizer worker answered the wrong request');
  return r;
}
