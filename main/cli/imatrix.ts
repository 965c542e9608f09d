// lowbit imatrix: an importance matrix from calibration text, in llama.cpp's imatrix format.
import { Command } from 'commander';

import { computeImatrix } from '../core/calibration/imatrix-run.js';
import { parseBackend, type BackendChoice } from '../engine/backend.js';
import { parseTextSource } from '../core/calibration/text-source.js';
import { defaultThreads } from '../core/evaluation.js';
import { positiveInt } from './options.js';
import { interruptSignal, stderrProgress } from './progress.js';

export function imatrixCommand(): Command {
  return new Command('imatrix')
    .description('compute an importance matrix (Σx² of the inputs of every linear layer) from calibration text, as llama-imatrix does')
    .argument('<model>', 'model (GGUF, Hugging Face folder or llama2.c checkpoint)')
    .requiredOption('--text <file>', 'calibration text (.txt or .jsonl); FILE@START:END takes a byte range')
    .requiredOption('-o, --out <file>', 'imatrix GGUF to write (readable by llama-quantize --imatrix)')
    .option('--ctx <n>', 'tokens per chunk', positiveInt('--ctx'), 512)
    .option('--threads <n>', 'CPU threads', positiveInt('--threads'), defaultThreads())
    .option('--backend <name>', 'where the forward passes run and the Σx² are summed: cpu, webgpu, cuda or auto (a missing or failing GPU backend falls back to the CPU)', parseBackend, 'cpu')
    .action(async (model: string, o: { text: string; out: string; ctx: number; threads: number; backend: BackendChoice }) => {
      const progress = stderrProgress('imatrix');
      const r = await computeImatrix({
        model, text: parseTextSource(o.text), out: o.out, nCtx: o.ctx, threads: o.threads, backend: o.backend,
        signal: interruptSignal(), onProgress: (d, t) => progress.update(d, t, 'chunks'),
        onNotice: (m) => o.backend !== 'cpu' && process.stderr.write(`${m}\n`),
      });
      progress.done();
      process.stdout.write(`wrote ${o.out}: ${r.entries.size} tensors, ${r.tokens} tokens in ${r.chunks} chunks\n`);
    });
}
