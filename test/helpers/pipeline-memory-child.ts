// Runs one GPTQ quantization in a fresh process and prints, as JSON, the peak resident memory of
// its native pipeline above the level the process had when the pipeline started (the kernel's
// high-water mark is reset at that moment), so that the JS heap's earlier growth is not counted.
//   node --import tsx test/helpers/pipeline-memory-child.ts MODEL TEXT OUT SEQUENCES LENGTH
import fs from 'node:fs';

import { runOperation } from '../../main/core/operations/runner.js';
import { NativeBinding, native } from '../../main/engine/native.js';

const [model, text, out, sequences, length] = process.argv.slice(2);
const status = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

const binding: NativeBinding = native();
const pipeline = binding.quantizeSequential;
let baseline = 0;
let peak = 0;
binding.quantizeSequential = (...args) => {
  fs.writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current resident size
  baseline = status('VmRSS');
  const job = pipeline.apply(binding, args);
  return { ...job, promise: job.promise.then((r) => ((peak = status('VmHWM')), r)) };
};
const r = await runOperation(
  { op: 'quantize', model, target: { preset: 'Q4_0' }, out, method: 'gptq', calibration: { text, sequences: Number(sequences), length: Number(length), seed: 0 } },
  { threads: 2 },
);
process.stdout.write(JSON.stringify({ baseline, peak, tokens: r.calibrationTokens, bytes: r.bytes }) + '\n');
