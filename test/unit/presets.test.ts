// Our preset mixes equal llama-quantize's on every golden and anchor file it produced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { kvNumber, readGguf } from '../../main/core/gguf/reader.js';
import { presetTypes } from '../../main/core/quant/presets.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

function check(sourceFile: string, targetFile: string, preset: string, hasImatrix: boolean, pure = false) {
  const src = readGguf(sourceFile);
  const target = readGguf(targetFile);
  const info = {
    architecture: 'llama',
    nLayer: kvNumber(src, 'llama.block_count')!,
    nHead: kvNumber(src, 'llama.attention.head_count')!,
    nHeadKv: kvNumber(src, 'llama.attention.head_count_kv')!,
    nEmbd: kvNumber(src, 'llama.embedding_length')!,
    hasImatrix,
  };
  const choices = presetTypes(
    src.tensors.map((t) => ({ name: t.name, ne: t.ne, type: t.type.name })),
    preset,
    info,
    pure,
  );
  for (const t of target.tensors) assert.equal(choices.get(t.name)?.type, t.type.name, `${targetFile}: ${t.name}`);
  assert.equal(choices.size, target.tensors.length);
}

describe('llama.cpp preset mixes', { skip: skipNoShared }, () => {
  for (const preset of ['Q2_K', 'Q3_K_M', 'Q4_K_M', 'Q5_K_M'])
    it(`synth256 ${preset} equals golden/synth256-recipe-${preset}.gguf`, () =>
      check(sharedPath('golden', 'synth256-f32.gguf'), sharedPath('golden', `synth256-recipe-${preset}.gguf`), preset, false));

  for (const preset of ['Q4_0', 'Q4_1', 'IQ4_NL', 'Q5_0']) {
    it(`stories260K ${preset} without imatrix equals anchors/stories260K-rtn-${preset}.gguf (row-width fallbacks)`, () =>
      check(sharedPath('models', 'stories260K.gguf'), sharedPath('anchors', `stories260K-rtn-${preset}.gguf`), preset, false));
    it(`stories260K ${preset} with imatrix equals anchors/stories260K-imatrix-${preset}.gguf`, () =>
      check(sharedPath('models', 'stories260K.gguf'), sharedPath('anchors', `stories260K-imatrix-${preset}.gguf`), preset, true));
  }

  for (const preset of ['Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'IQ4_NL'])
    it(`stories260K --pure ${preset} falls back to F16 where rows do not fit, as golden/stories260K-pure-${preset}.gguf`, () =>
      check(sharedPath('models', 'stories260K.gguf'), sharedPath('golden', `stories260K-pure-${preset}.gguf`), preset, false, true));
});
