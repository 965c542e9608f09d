// Quality at equal size on stories260K: our GPTQ files against round-to-nearest with an importance
// matrix — ours (byte-exact llama.cpp rounding with our imatrix) and llama.cpp's own anchor files.
// Calibration: the tail of tinystories_val.txt (the text llama.cpp's imatrix used); evaluation: the
// first 200 KB (disjoint). Perplexity by llama.cpp itself (node-llama-cpp, first 60 chunks) and by
// our evaluator (all chunks, plus KL and top-1 to the F32 model). Then synth256's k-quant and
// IQ4_XS types (--pure): the summed Hessian-weighted error tr(ΔW·H·ΔWᵀ) of GPTQ against
// round-to-nearest with the same calibration's importance (diag H), on the same Hessians.
// Writes test-artifacts/bench/quality.json.
//
//   npm run bench:quality
import fs from 'node:fs';
import path from 'node:path';

import { computeImatrix } from '../../main/core/calibration/imatrix-run.js';
import { importModel } from '../../main/core/model/import.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { llamaPerplexity } from '../helpers/llama.js';
import { artifactsDir, sharedPath } from '../helpers/shared.js';
import { writeBenchResult } from './bench-util.js';

const model = sharedPath('models', 'stories260K.gguf');
const calib = { path: sharedPath('data', 'tinystories_val.txt'), start: 400_067 };
const evalText = { path: sharedPath('data', 'tinystories_val_200k.txt') };
const dir = artifactsDir('bench', 'quality');
const imatrix = path.join(dir, 'ours.imatrix.gguf');
await computeImatrix({ model, text: calib, nCtx: 256, threads: 2, out: imatrix });
const tok = tokenizerForModel(importModel(model));
const evalTokens = tok.encode(fs.readFileSync(evalText.path, 'utf8'));

async function measure(file: string) {
  const r = await runOperation({ op: 'evaluate', model: file, reference: model, text: evalText, nCtx: 256 }, { threads: 2 });
  const llamaPpl = await llamaPerplexity(file, evalTokens, 256, 512, tok.bos!, 60);
  return { bytes: fs.statSync(file).size, ppl: r.ppl, meanKl: r.meanKl, top1: r.top1Agreement, llamaCppPpl60: llamaPpl };
}

const rows = [];
for (const preset of ['Q4_0', 'Q4_1', 'IQ4_NL', 'Q5_0']) {
  const gptq = path.join(dir, `gptq-${preset}.gguf`);
  const rtn = path.join(dir, `rtn-imatrix-${preset}.gguf`);
  await runOperation({ op: 'quantize', model, target: { preset }, out: gptq, method: 'gptq', calibration: { text: calib, sequences: 128, length: 256, seed: 0 } }, { threads: 2 });
  await runOperation({ op: 'quantize', model, target: { preset }, out: rtn, method: 'rtn', imatrix }, { threads: 2 });
  const row = {
    preset,
    gptq: await measure(gptq),
    rtnImatrixOurs: await measure(rtn),
    llamaCppImatrixAnchor: await measure(sharedPath('anchors', `stories260K-imatrix-${preset}.gguf`)),
  };
  rows.push(row);
  console.error(`${preset}: GPTQ ppl ${row.gptq.ppl.toFixed(4)} (llama.cpp ${row.gptq.llamaCppPpl60.toFixed(4)}) kl ${row.gptq.meanKl!.toFixed(5)} | RTN+imatrix ppl ${row.rtnImatrixOurs.ppl.toFixed(4)} (llama.cpp ${row.rtnImatrixOurs.llamaCppPpl60.toFixed(4)}) kl ${row.rtnImatrixOurs.meanKl!.toFixed(5)} | anchor ppl ${row.llamaCppImatrixAnchor.ppl.toFixed(4)} kl ${row.llamaCppImatrixAnchor.meanKl!.toFixed(5)}`);
}
const synth256 = [];
for (const preset of ['Q2_K', 'Q3_K_S', 'Q4_K_S', 'Q5_K_S', 'Q6_K', 'IQ4_XS']) {
  const r = await runOperation(
    {
      op: 'quantize', model: sharedPath('golden', 'synth256-f32.gguf'), target: { preset, pure: true }, out: path.join(dir, `synth256-gptq-${preset}.gguf`), method: 'gptq',
      calibration: { text: calib, sequences: 128, length: 256, seed: 0 },
    },
    { threads: 2 },
  );
  const measured = r.tensors.filter((t) => t.error != null && t.rtnError != null);
  const gptqError = measured.reduce((s, t) => s + t.error!, 0);
  const rtnImatrixError = measured.reduce((s, t) => s + t.rtnError!, 0);
  const row = { preset, tensors: measured.length, gptqError, rtnImatrixError, ratio: gptqError / rtnImatrixError, tensorsNotBetter: measured.filter((t) => t.error! >= t.rtnError!).map((t) => t.name) };
  synth256.push(row);
  console.error(`synth256 ${preset}: Hessian-weighted error GPTQ ${gptqError.toExponential(4)} vs RTN+imatrix ${rtnImatrixError.toExponential(4)} (×${row.ratio.toFixed(3)})`);
}

writeBenchResult('quality', {
  model: 'stories260K',
  calibration: 'tinystories_val.txt@400067: (128 × 256 tokens, seed 0)',
  evaluation: 'tinystories_val_200k.txt, ctx 256 (llama.cpp perplexity over the first 60 chunks)',
  note: 'file sizes differ from the anchors only by our lowbit.* provenance metadata; tensor types and sizes are equal',
  rows,
  synth256,
});
