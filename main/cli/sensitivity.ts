// lowbit sensitivity: how much each tensor suffers in each candidate type, for `lowbit plan`.
import { Command } from 'commander';

import type { SensitivityReport } from '../contract/sensitivity.js';
import { runOperation } from '../core/operations/runner.js';
import type { SensitivitySpec } from '../core/operations/spec.js';
import { DEFAULT_SENSITIVITY_TYPES } from '../core/sensitivity/measure.js';
import { defaultThreads } from '../engine/threads.js';
import { DB_HELP, openStore, positiveInt } from './options.js';
import { cliContext } from './progress.js';

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
    .option('--force', 'replace the output file if it exists (never a model the studio has opened or a file a quantize run wrote)')
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
    .action(async (model: string, o: { calib: string; calibSeqs: number; calibLen: number; seed: number; types: string; method: string; outputError: number; measureKl?: boolean; klText?: string; klCtx: number; klChunks: number; out?: string; force?: boolean; threads: number; db?: string; record: boolean; json?: boolean }) => {
      if (o.measureKl && !o.klText) throw new Error('--measure-kl needs an evaluation text: --kl-text FILE');
      const store = o.record ? openStore(o.db) : undefined;
      const ctx = cliContext('sensitivity', { store, threads: o.threads, quiet: o.json });
      try {
        const report = await runOperation({
          op: 'sensitivity', model, out: o.out, overwrite: o.force, method: o.method as SensitivitySpec['method'], outputErrorSequences: o.outputError,
          calibration: { text: o.calib, sequences: o.calibSeqs, length: o.calibLen, seed: o.seed },
          types: o.types.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean),
          measureKl: o.measureKl ? { text: o.klText!, nCtx: o.klCtx, chunks: o.klChunks } : undefined,
        }, ctx);
        ctx.progress.done();
        if (o.json) return void process.stdout.write(JSON.stringify(report) + '\n');
        process.stdout.write(summary(report) + (report.runId !== null ? `recorded as run ${report.runId} (lowbit plan --run ${report.runId})\n` : '') + (o.out ? `wrote ${o.out}\n` : ''));
      } finally {
        store?.close();
      }
    });
}
