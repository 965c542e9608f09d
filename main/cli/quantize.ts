// lowbit quantize: llama.cpp's preset mixes, optionally importance-weighted, streamed to GGUF.
import { Command, InvalidArgumentError } from 'commander';
import fs from 'node:fs';

import { parseTextSource } from '../core/calibration/text-source.js';
import { defaultThreads } from '../core/evaluation.js';
import { PRESETS } from '../core/quant/presets.js';
import type { PlanFile } from '../core/sensitivity/types.js';
import { GPTQ_DEFAULTS, quantizeWithPreset } from '../core/quantize-preset.js';
import { DB_HELP, openStore, positiveInt, positiveNumber } from './options.js';
import { interruptSignal, stderrProgress } from './progress.js';

function preset(v: string): string {
  const p = v.toUpperCase();
  if (!PRESETS.includes(p)) throw new InvalidArgumentError(`unknown type; choose one of ${PRESETS.join(', ')}`);
  return p;
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
    .option('--type <preset>', `target type or mix: ${PRESETS.join(', ')}`, preset)
    .option('--plan <file>', 'a plan (JSON from lowbit plan): the type of every tensor, instead of --type')
    .requiredOption('-o, --out <file>', 'output GGUF file (written to a temporary file, renamed when complete)')
    .option('--method <method>', 'rtn (round to nearest, as llama-quantize) or gptq (error-compensated; needs --calib)', 'rtn')
    .option('--calib <file>', 'calibration text for gptq (.txt or .jsonl; FILE@START:END takes a byte range)')
    .option('--calib-seqs <n>', 'calibration sequences', positiveInt('--calib-seqs'), 128)
    .option('--calib-len <n>', 'tokens per calibration sequence', positiveInt('--calib-len'), 512)
    .option('--seed <n>', 'seed for drawing the calibration sequences', (v) => Number(v), 0)
    .option('--damp <λ>', 'gptq: dampening, as a fraction of mean(diag H) added to its diagonal', positiveNumber('--damp'), GPTQ_DEFAULTS.damp)
    .option('--gptq-block <n>', 'gptq: columns per lazy-update block', positiveInt('--gptq-block'), GPTQ_DEFAULTS.blockSize)
    .option('--act-order', 'gptq: quantize whole ggml blocks in order of decreasing activation energy')
    .option('--qep', 'gptq: also run the original model and correct each layer for the error of the layers before it (QEP)')
    .option('--qep-alpha <α>', 'gptq: strength of the QEP correction, 0..1', positiveNumber('--qep-alpha'), GPTQ_DEFAULTS.qepAlpha)
    .option('--imatrix <file>', 'importance matrix (llama-imatrix GGUF) to weight the rounding')
    .option('--pure', 'every quantizable tensor gets the type itself, without the preset\'s per-tensor choices')
    .option('--allow-requantize', 'allow requantizing tensors that are already quantized')
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
    .action(async (model: string, o: { type?: string; plan?: string; out: string; method: string; calib?: string; calibSeqs: number; calibLen: number; seed: number; damp: number; gptqBlock: number; actOrder?: boolean; qep?: boolean; qepAlpha: number; imatrix?: string; pure?: boolean; allowRequantize?: boolean; threads: number; db?: string; record: boolean; json?: boolean }) => {
      if (o.method !== 'rtn' && o.method !== 'gptq') throw new Error(`unknown method ${o.method} (available: rtn, gptq)`);
      if (!o.type === !o.plan) throw new Error('give either --type PRESET or --plan PLAN.json (one of them)');
      if (o.method === 'gptq' && !o.calib) throw new Error('--method gptq needs calibration text: --calib FILE');
      if (o.method !== 'gptq' && (o.actOrder || o.qep)) throw new Error('--act-order and --qep apply to --method gptq');
      if (o.qepAlpha > 1) throw new Error('--qep-alpha must be between 0 and 1');
      const plan = o.plan ? readPlan(o.plan) : undefined;
      const calibration = o.calib ? { source: parseTextSource(o.calib), params: { sequences: o.calibSeqs, length: o.calibLen, seed: o.seed } } : undefined;
      const store = o.record ? openStore(o.db) : undefined;
      const progress = stderrProgress('quantize');
      try {
        const r = await quantizeWithPreset({
          model, preset: o.type, plan, out: o.out, method: o.method as 'rtn' | 'gptq', calibration, imatrix: o.imatrix,
          gptq: { damp: o.damp, blockSize: o.gptqBlock, actOrder: !!o.actOrder, qep: !!o.qep, qepAlpha: o.qepAlpha }, pure: o.pure, allowRequantize: o.allowRequantize,
          threads: o.threads, store, signal: interruptSignal(), onProgress: (d, t, unit) =>
            unit === 'bytes' ? progress.update(Math.round(d / 1048576), Math.round(t / 1048576), 'MiB') : progress.update(Math.round(d * 10) / 10, Math.round(t * 10) / 10, 'blocks'),
        });
        progress.done();
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
