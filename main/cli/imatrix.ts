// lowbit imatrix: an importance matrix from calibration text, in llama.cpp's imatrix format.
import { Command } from 'commander';

import { runOperation } from '../core/operations/runner.js';
import { parseBackend, type BackendChoice } from '../engine/backends/choose.js';
import { defaultThreads } from '../engine/threads.js';
import { positiveInt } from './options.js';
import { cliContext } from './progress.js';

export function imatrixCommand(): Command {
  return new Command('imatrix')
    .description('compute an importance matrix (Σx² of the inputs of every linear layer) from calibration text, as llama-imatrix does')
    .argument('<model>', 'model (GGUF, Hugging Face folder or llama2.c checkpoint)')
    .requiredOption('--text <file>', 'calibration text (.txt or .jsonl); FILE@START:END takes a byte range')
    .requiredOption('-o, --out <file>', 'imatrix GGUF to write (readable by llama-quantize --imatrix)')
    .option('--ctx <n>', 'tokens per chunk', positiveInt('--ctx'), 512)
    .option('--force', 'replace the output file if it exists (never a model the studio has opened or a file a quantize run wrote)')
    .option('--threads <n>', 'CPU threads', positiveInt('--threads'), defaultThreads())
    .option('--backend <name>', 'where the forward passes run and the Σx² are summed: cpu, webgpu, cuda or auto (a missing or failing GPU backend falls back to the CPU)', parseBackend, 'cpu')
    .action(async (model: string, o: { text: string; out: string; ctx: number; threads: number; backend: BackendChoice; force?: boolean }) => {
      const ctx = cliContext('imatrix', { threads: o.threads });
      const r = await runOperation({ op: 'imatrix', model, text: o.text, out: o.out, nCtx: o.ctx, backend: o.backend, overwrite: o.force }, { ...ctx, onLog: (m) => o.backend !== 'cpu' && ctx.onLog?.(m) });
      ctx.progress.done();
      process.stdout.write(`wrote ${o.out}: ${r.tensors} tensors, ${r.tokens} tokens in ${r.chunks} chunks\n`);
    });
}
