// lowbit plan: which type every tensor gets to meet a size target with the least predicted KL.
import { Command, InvalidArgumentError } from 'commander';

import type { PlanFile } from '../contract/sensitivity.js';
import { ggmlTypeByName, tensorBytes } from '../core/gguf/ggml-types.js';
import { runOperation } from '../core/operations/runner.js';
import type { PlanSpec } from '../core/operations/spec.js';
import { formatBytes, parseByteSize } from '../core/plan/byte-size.js';
import { DEFAULT_MINIMUMS, DEFAULT_UNREACHED_TYPE, parseAssignment } from '../core/plan/rules.js';
import { DB_HELP, openStore, positiveInt, positiveNumber } from './options.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function summarizePlan(p: PlanFile, seconds: number): string {
  const byType = new Map<string, { n: number; bytes: number }>();
  for (const [name, type] of Object.entries(p.tensors)) {
    const e = byType.get(type) ?? { n: 0, bytes: 0 };
    e.n++;
    const ne = p.ne?.[name];
    if (ne) e.bytes += tensorBytes(ggmlTypeByName(type)!, ne);
    byType.set(type, e);
  }
  const lines = [`type      tensors       bytes`];
  for (const [type, e] of [...byType.entries()].sort((a, b) => b[1].bytes - a[1].bytes || b[1].n - a[1].n))
    lines.push(`${type.padEnd(9)} ${String(e.n).padStart(7)} ${formatBytes(e.bytes).padStart(11)}`);
  const target = p.target.kind === 'bpw' ? `${p.target.value} bits per weight` : formatBytes(p.target.value) + ` (${p.target.value} bytes)`;
  lines.push(
    '',
    `target        ${target}`,
    `file size     ${formatBytes(p.bytes)} (${p.bytes} bytes${p.headerBytes !== undefined ? `, header ${p.headerBytes}` : ''})`,
    `bits/weight   ${p.bitsPerWeight.toFixed(4)} (quantizable tensors)`,
    `predicted KL  ${p.predictedKl.toPrecision(4)}${p.prediction?.basis === 'error' ? ' (summed error: no KL measured, ranks plans only)' : ' nats'}`,
    `solver        ${p.exact ? 'exact' : 'Lagrangian hull + fill'} in ${(seconds * 1000).toFixed(1)} ms`,
  );
  if (p.flagged?.length) {
    lines.push('', `flagged (${p.flagged.length}):`);
    for (const f of p.flagged) lines.push(`  ${f.name} → ${f.type}: ${f.reason}`);
  }
  if (p.notes?.length) lines.push('', 'notes:', ...p.notes.map((n) => `  ${n}`));
  return lines.join('\n') + '\n';
}

export function planCommand(): Command {
  return new Command('plan')
    .description('allocate bits: the type of every tensor that meets a size target with the least predicted KL divergence')
    .argument('<model>', 'the model the sensitivity report measured (its layout makes the file size exact)')
    .option('--sensitivity <file>', 'sensitivity report (JSON from lowbit sensitivity)')
    .option('--run <id>', 'read the sensitivity report of this run from the database', positiveInt('--run'))
    .option('--target-bpw <x>', 'bits per weight over the quantizable tensors (Q4_K everywhere is 4.5)', positiveNumber('--target-bpw'))
    .option('--target-size <size>', 'whole file size: 3.9GB (powers of 1000), 900MiB (powers of 1024), or bytes', (v) => {
      try {
        return parseByteSize(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    })
    .option('--pin <name=type>', 'fix a tensor\'s type; NAME may be a glob (blk.*.attn_v.weight=Q6_K); repeatable, later pins win', collect, [])
    .option('--min <kind=type>', `minimum type for a kind, by bits per weight (ffn_down=Q3_K); repeatable (defaults: ${Object.entries(DEFAULT_MINIMUMS).map(([k, v]) => `${k}=${v}`).join(', ')})`, collect, [])
    .option('--no-default-minimums', 'drop the default minimums (only --min applies)')
    .option('--unreached <type>', 'type for tensors never reached by calibration', DEFAULT_UNREACHED_TYPE)
    .option('-o, --out <file>', 'write the plan (JSON) here, for lowbit quantize --plan')
    .option('--force', 'replace the output file if it exists (never a model the studio has opened or a file a quantize run wrote)')
    .option('--json', 'print the plan as JSON instead of a summary')
    .option('--db <path>', DB_HELP)
    .option('--no-record', 'do not record the plan in the database')
    .addHelpText('after', `
Minimums compare bits per weight, so Q4_K's floor (4.5) is also met by Q4_0 or IQ4_NL where the rows
do not fit Q4_K's 256-wide blocks. The file size is that of lowbit quantize --plan --method rtn
without --imatrix; gptq records its calibration set in the header too (a few bytes more).

Examples:
  lowbit plan model-F16.gguf --sensitivity sens.json --target-bpw 4.25 -o plan.json
  lowbit plan model-F16.gguf --run 12 --target-size 3.9GB --pin 'output.weight=Q6_K' --min ffn_down=Q4_K -o plan.json
  lowbit quantize model-F16.gguf --plan plan.json --method gptq --calib calib.txt -o model-plan.gguf`)
    .action(async (model: string, o: { sensitivity?: string; run?: number; targetBpw?: number; targetSize?: number; pin: string[]; min: string[]; defaultMinimums: boolean; unreached: string; out?: string; force?: boolean; json?: boolean; db?: string; record: boolean }) => {
      if ((o.targetBpw === undefined) === (o.targetSize === undefined)) throw new Error('give one target: --target-bpw X or --target-size SIZE');
      const store = o.record || o.run !== undefined ? openStore(o.db) : undefined;
      try {
        const r = await runOperation({
          op: 'plan', model, out: o.out, overwrite: o.force,
          sensitivity: (o.sensitivity !== undefined ? { file: o.sensitivity, ...(o.run !== undefined ? { runId: o.run } : {}) } : { runId: o.run }) as PlanSpec['sensitivity'],
          target: o.targetBpw !== undefined ? { kind: 'bpw', value: o.targetBpw } : { kind: 'bytes', value: o.targetSize! },
          pins: Object.fromEntries(o.pin.map((s) => parseAssignment(s, '--pin'))),
          minimums: Object.fromEntries(o.min.map((s) => parseAssignment(s, '--min'))),
          defaultMinimums: o.defaultMinimums,
          unreachedType: o.unreached,
        }, { store, record: o.record });
        if (o.json) return void process.stdout.write(JSON.stringify({ ...r.plan, planId: r.planId }) + '\n');
        process.stdout.write(summarizePlan(r.plan, r.seconds) + (o.out ? `wrote ${o.out}\n` : '') + (r.planId !== null ? `recorded as plan ${r.planId}\n` : ''));
      } finally {
        store?.close();
      }
    });
}
