// lowbit eval: perplexity with llama-perplexity's protocol, KL divergence and top-1 agreement.
import { Command } from 'commander';

import { runOperation } from '../core/operations/runner.js';
import { parseBackend, type BackendChoice } from '../engine/backends/choose.js';
import { defaultThreads } from '../engine/threads.js';
import { DB_HELP, openStore, positiveInt } from './options.js';
import { cliContext } from './progress.js';

export function evalCommand(): Command {
  return new Command('eval')
    .description('measure a model: perplexity as llama-perplexity computes it, and with --reference the KL divergence and top-1 agreement to that model')
    .argument('<model>', 'model file (GGUF)')
    .requiredOption('--text <file>', 'evaluation text (.txt or .jsonl); FILE@START:END takes a byte range')
    .option('--ctx <n>', 'context length of each chunk', positiveInt('--ctx'), 512)
    .option('--reference <model>', 'full-precision model to compare with (same tokenizer)')
    .option('--threads <n>', 'CPU threads', positiveInt('--threads'), defaultThreads())
    .option('--backend <name>', 'cpu, webgpu, cuda or auto: where the forward passes run (webgpu: the whole forward pass on the GPU); a missing or failing GPU backend falls back to the CPU with a message', parseBackend, 'cpu')
    .option('--json', 'print one JSON object on stdout instead of a summary')
    .option('--db <path>', DB_HELP)
    .option('--no-record', 'do not record the run in the database')
    .addHelpText(
      'after',
      `
The text is tokenized once with BOS, cut into chunks of --ctx tokens, each evaluated from an empty
cache with its first token replaced by BOS; the second half of each chunk is scored.

Example:
  lowbit eval model-Q4_K_M.gguf --text wiki.test.txt --ctx 512 --reference model-F16.gguf`,
    )
    .action(async (model: string, o: { text: string; ctx: number; reference?: string; threads: number; backend: BackendChoice; json?: boolean; db?: string; record: boolean }) => {
      const store = o.record ? openStore(o.db) : undefined;
      const ctx = cliContext('eval', { store, threads: o.threads });
      try {
        const r = await runOperation({ op: 'evaluate', model, text: o.text, nCtx: o.ctx, reference: o.reference, backend: o.backend }, ctx);
        ctx.progress.done();
        if (o.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        const lines = [
          `model       ${r.model}`,
          `text        ${r.text.source} (${r.text.tokens} tokens, ${r.chunks} chunks of ${r.nCtx}, ${r.scoredPositions} scored)`,
          `perplexity  ${r.ppl.toFixed(4)} ± ${r.pplError.toFixed(5)}`,
        ];
        if (r.meanKl !== null) {
          lines.push(`reference   ${r.reference} (perplexity ${r.referencePpl!.toFixed(4)})`);
          lines.push(`mean KL     ${r.meanKl.toFixed(6)} ± ${r.meanKlError!.toFixed(6)} nats`);
          lines.push(`top-1       ${(r.top1Agreement! * 100).toFixed(2)}% agreement`);
        }
        lines.push(`time        ${r.seconds.toFixed(1)} s on ${r.backend}${r.runId !== null ? ` (run ${r.runId})` : ''}`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        store?.close();
      }
    });
}
