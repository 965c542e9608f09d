// lowbit sensitivity: how much each tensor suffers in each candidate type, for `lowbit plan`.
import { Command } from 'commander';

import { parseTextSource } from '../core/calibration/text-source.js';
import { saveSensitivityReport } from '../core/db/plans-store.js';
import { defaultThreads } from '../core/evaluation.js';
import { importModel } from '../core/model/import.js';
import { recordModel } from '../core/model/registry.js';
import { measureKl } from '../core/sensitivity/measure-kl.js';
import { DEFAULT_SENSITIVITY_TYPES, measureSensitivity } from '../core/sensitivity/measure.js';
import type { SensitivityReport } from '../core/sensitivity/types.js';
import { writeAll, writeAtomically } from '../core/gguf/writer.js';
import { DB_HELP, openStore, positiveInt } from './options.js';
import { interruptSignal, stderrProgress } from './progress.js';

function summary(r: SensitivityReport): string {
  const types = [...new Set(r.tensors.flatMap((t) => t.candidates.map((c) => c.type)))];
  const lines = ['tensor'.padEnd(36) + types.map((t) => t.padStart(11)).join('')];
  for (const t of r.tensors) {
    const cell = (type: string) => t.candidates.find((c) => c.type === type)?.error.toExponential(2) ?? '—';
    lines.push(t.name.padEnd(36) + types.map((type) => cell(type).padStart(11)).join('') + (t.activations === 0 ? '  (never reached)' : ''));
  }
  return lines.join('\n') + '\n';
}

export function sensitivityCommand(): Command {
  return new Command('sensitivity')
    .description('measure, for every tensor and candidate type, the bytes and the quantization error weighted by its calibration inputs')
    .argument('<model>', 'source model: GGUF (F32/F16/BF16 weights), Hugging Face folder or llama2.c checkpoint')
    .requiredOption('--calib <file>', 'calibration text (.txt or .jsonl; FILE@START:END takes a byte range)')
    .option('--calib-seqs <n>', 'calibration sequences', positiveInt('--calib-seqs'), 128)
    .option('--calib-len <n>', 'tokens per calibration sequence', positiveInt('--calib-len'), 512)
    .option('--seed <n>', 'seed for drawing the calibration sequences', (v) => Number(v), 0)
    .option('--types <list>', 'candidate ggml types, comma-separated (F16 is always added)', DEFAULT_SENSITIVITY_TYPES.join(','))
    .option('--method <method>', 'rtn: the error of round-to-nearest with the inputs\' importance; gptq: of GPTQ (slower)', 'rtn')
    .option('--output-error <n>', 'also measure, on N calibration sequences, the error that reaches each block\'s output with only that tensor quantized', (v) => Number(v), 0)
    .option('--measure-kl', 'also measure the end-to-end KL divergence with only that tensor quantized (one evaluation per tensor and type)')
    .option('--kl-text <file>', 'evaluation text for --measure-kl (keep it apart from the calibration text)')
    .option('--kl-ctx <n>', 'context for --measure-kl', positiveInt('--kl-ctx'), 256)
    .option('--kl-chunks <n>', 'chunks of --kl-ctx tokens evaluated for --measure-kl', positiveInt('--kl-chunks'), 4)
    .option('-o, --out <file>', 'write the report as JSON (the input of lowbit plan --sensitivity)')
    .option('--threads <n>', 'CPU threads', positiveInt('--threads'), defaultThreads())
    .option('--db <path>', DB_HELP)
    .option('--no-record', 'do not record the run in the database')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `
The model runs block by block on the calibration text; for each linear tensor, XᵀX of its inputs
(H) weights the error: tr((W−Q)·H·(W−Q)ᵀ) with H = (2/n)·Σxxᵀ. token_embd is weighted by how often
each token occurs. One pass over the model, whatever the number of candidate types.

Example:
  lowbit sensitivity model-F16.gguf --calib calib.txt -o sens.json
  lowbit plan model-F16.gguf --sensitivity sens.json --target-bpw 4.5 -o plan.json`)
    .action(async (model: string, o: { calib: string; calibSeqs: number; calibLen: number; seed: number; types: string; method: string; outputError: number; measureKl?: boolean; klText?: string; klCtx: number; klChunks: number; out?: string; threads: number; db?: string; record: boolean; json?: boolean }) => {
      if (o.method !== 'rtn' && o.method !== 'gptq') throw new Error(`unknown method ${o.method} (available: rtn, gptq)`);
      if (o.measureKl && !o.klText) throw new Error('--measure-kl needs an evaluation text: --kl-text FILE');
      if (!Number.isInteger(o.outputError) || o.outputError < 0) throw new Error('--output-error takes a number of sequences (0 to skip)');
      const calibration = { source: parseTextSource(o.calib), params: { sequences: o.calibSeqs, length: o.calibLen, seed: o.seed } };
      const store = o.record ? openStore(o.db) : undefined;
      const signal = interruptSignal();
      const progress = stderrProgress('sensitivity');
      const runParams = { model, calibration: { source: o.calib, ...calibration.params }, types: o.types, method: o.method, outputErrorSequences: o.outputError, measureKl: !!o.measureKl };
      const runId = store ? store.startRun({ kind: 'sensitivity', params: runParams, modelId: await recordModel(store, importModel(model)) }) : null;
      try {
        const t0 = performance.now();
        const report = await measureSensitivity({
          model, calibration, types: o.types.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean), method: o.method as 'rtn' | 'gptq', outputErrorSequences: o.outputError,
          threads: o.threads, signal, onProgress: (stage, d, t) => progress.update(Math.round(d * 10) / 10, t, stage),
        });
        if (o.measureKl)
          await measureKl(report, { text: parseTextSource(o.klText!), nCtx: o.klCtx, chunks: o.klChunks, threads: o.threads, signal, onProgress: (d, t) => progress.update(d, t, 'KL') });
        progress.done();
        if (o.out) await writeAtomically(o.out, (fd) => writeAll(fd, Buffer.from(JSON.stringify(report, null, 1) + '\n'), 0));
        if (runId !== null) {
          saveSensitivityReport(store!, runId, report);
          store!.finishRun(runId, 'done', { results: { tensors: report.tensors.length, out: o.out ?? null }, timings: { total: (performance.now() - t0) / 1000 } });
        }
        if (o.json) return void process.stdout.write(JSON.stringify(report) + '\n');
        process.stdout.write(summary(report) + (runId !== null ? `recorded as run ${runId} (lowbit plan --run ${runId})\n` : '') + (o.out ? `wrote ${o.out}\n` : ''));
      } catch (e) {
        if (runId !== null) store!.finishRun(runId, signal.aborted ? 'cancelled' : 'failed', { error: (e as Error).message });
        throw e;
      } finally {
        store?.close();
      }
    });
}
