// lowbit quantize: llama.cpp's preset mixes, optionally importance-weighted, streamed to GGUF.
import { Command } from 'commander';
import fs from 'node:fs';

import type { PlanFile } from '../contract/sensitivity.js';
import { runOperation } from '../core/operations/runner.js';
import type { QuantizeSpec } from '../core/operations/spec.js';
import { PRESETS } from '../core/quant/presets.js';
import { defaultThreads } from '../engine/threads.js';
import { native } from '../engine/native.js';
import { DB_HELP, openStore, positiveInt, positiveNumber } from './options.js';
import { cliContext } from './progress.js';

/** The engine's default for a GPTQ option, for --help (the addon may be missing while help is shown). */
function gptqDefault(key: 'damp' | 'blockSize' | 'qepAlpha'): string {
  try {
    return String(native().gptqDefaults()[key]);
  } catch {
    return 'the engine\'s';
  }
}

function readPlan(file: string): PlanFile {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the plan ${file}: ${(e as Error).message}`);
  }
}

export function quantizeCommand(): Command {
  return new Command('quantize')
    .description('quantize a model into GGUF with one of llama.cpp\'s types or preset mixes, or with a plan from lowbit plan')
    .argument('<model>', 'source model: GGUF (F32/F16/BF16 weights), Hugging Face folder or llama2.c checkpoint')
    .option('--type <preset>', `target type or mix: ${PRESETS.join(', ')}`, (v) => v.toUpperCase())
    .option('--plan <file>', 'a plan (JSON from lowbit plan): the type of every tensor, instead of --type')
    .requiredOption('-o, --out <file>', 'output GGUF file (written to a temporary file, renamed when complete)')
    .option('--method <method>', 'rtn (round to nearest, as llama-quantize) or gptq (error-compensated; needs --calib)', 'rtn')
    .option('--calib <file>', 'calibration text for gptq (.txt or .jsonl; FILE@START:END takes a byte range)')
    .option('--calib-seqs <n>', 'calibration sequences', positiveInt('--calib-seqs'), 128)
    .option('--calib-len <n>', 'tokens per calibration sequence', positiveInt('--calib-len'), 512)
    .option('--seed <n>', 'seed for drawing the calibration sequences', (v) => Number(v), 0)
    .option('--damp <λ>', `gptq: dampening, as a fraction of mean(diag H) added to its diagonal (default ${gptqDefault('damp')})`, positiveNumber('--damp'))
    .option('--gptq-block <n>', `gptq: columns per lazy-update block (default ${gptqDefault('blockSize')})`, positiveInt('--gptq-block'))
    .option('--act-order', 'gptq: quantize whole ggml blocks in order of decreasing activation energy')
    .option('--qep', 'gptq: also run the original model and correct each layer for the error of the layers before it (QEP)')
    .option('--qep-alpha <α>', `gptq: strength of the QEP correction, 0..1 (default ${gptqDefault('qepAlpha')})`, positiveNumber('--qep-alpha'))
    .option('--imatrix <file>', 'importance matrix (llama-imatrix GGUF) to weight the rounding')
    .option('--pure', 'every quantizable tensor gets the type itself, without the preset\'s per-tensor choices')
    .option('--allow-requantize', 'allow requantizing tensors that are already quantized')
    .option('--force', 'replace the output file if it exists (never a model the studio has opened or a file a quantize run wrote)')
    .option('--threads <n>', 'CPU threads', positiveInt('--threads'), defaultThreads())
    .option('--db <path>', DB_HELP)
    .option('--no-record', 'do not record the run in the database')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `
The per-tensor choices of the mixes (Q4_K_M gives output.weight Q6_K, some attn_v/ffn_down Q6_K …)
and the fallbacks for rows that do not fit a block size are llama-quantize's.

With --method gptq the model is calibrated and quantized block by block: each block runs on the
outputs of the already quantized blocks before it, XᵀX of every linear layer's inputs is
accumulated (fp64), and each tensor is quantized with error feedback (GPTQ) into its type's own
blocks and scales. Types without a GPTQ grid are rounded with diag(XᵀX) as importance. Memory:
the calibration activations (sequences × length × embedding floats) plus one block.
Per-tensor errors (tr(ΔW·H·ΔWᵀ), ours and round-to-nearest's) go to the database.

Examples:
  lowbit quantize model-F16.gguf --type Q4_K_M --imatrix imatrix.gguf -o model-Q4_K_M.gguf
  lowbit quantize model-F16.gguf --type Q4_0 --method gptq --calib calib.txt -o model-Q4_0-gptq.gguf
  lowbit quantize model-F16.gguf --plan plan.json --method rtn -o model-plan.gguf`)
    .action(async (model: string, o: QuantizeOptions) => {
      const plan = o.plan ? readPlan(o.plan) : undefined;
      const store = o.record ? openStore(o.db) : undefined;
      const ctx = cliContext('quantize', { store, threads: o.threads, quiet: o.json });
      try {
        const r = await runOperation(quantizeSpec(model, o, plan), ctx);
        ctx.progress.done();
        if (o.json) return void process.stdout.write(JSON.stringify(r) + '\n');
        const fallbacks = r.tensors.filter((t) => t.fallbackFrom);
        process.stdout.write(
          `wrote ${r.out}: ${(r.bytes / 1048576).toFixed(2)} MiB, ${r.bitsPerWeight.toFixed(3)} bits per weight, ${r.seconds.toFixed(1)} s\n` +
            (plan && plan.bytes !== r.bytes ? `the plan predicted ${plan.bytes} bytes; the header differs by the method's recorded parameters\n` : '') +
            (fallbacks.length ? `fallbacks (rows not a multiple of the block size): ${fallbacks.map((t) => `${t.name} ${t.fallbackFrom}→${t.type}`).join(', ')}\n` : ''),
        );
      } finally {
        store?.close();
      }
    });
}

interface QuantizeOptions {
  type?: string; plan?: string; out: string; method: string; calib?: string; calibSeqs: number; calibLen: number; seed: number;
  damp?: number; gptqBlock?: number; actOrder?: boolean; qep?: boolean; qepAlpha?: number; imatrix?: string; pure?: boolean;
  allowRequantize?: boolean; force?: boolean; threads: number; db?: string; record: boolean; json?: boolean;
}

/** The spec the options describe, as given: runOperation's validateOperation checks the rules between them. */
function quantizeSpec(model: string, o: QuantizeOptions, plan: PlanFile | undefined): QuantizeSpec {
  const defined = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
  const gptq = defined({ damp: o.damp, blockSize: o.gptqBlock, actOrder: o.actOrder, qep: o.qep, qepAlpha: o.qepAlpha });
  return defined({
    op: 'quantize', model, out: o.out, allowRequantize: o.allowRequantize, overwrite: o.force, method: o.method,
    target: defined({ preset: o.type, plan, pure: o.pure }),
    imatrix: o.imatrix,
    calibration: o.calib === undefined ? undefined : { text: o.calib, sequences: o.calibSeqs, length: o.calibLen, seed: o.seed },
    gptq: Object.keys(gptq).length ? gptq : undefined,
  }) as unknown as QuantizeSpec;
}
