// A llama-family GGUF file as a model description (hyper-parameters with llama.cpp's defaults,
// tensors pointing into the file).
import path from 'node:path';

import { GgufFile, kvArray, kvNumber, kvString, readGguf } from '../gguf/reader.js';
import { ModelImportError } from './errors.js';
import type { ModelDescription, RopeScaling } from './types.js';
import { validateDescription } from './validate.js';

export function describeGguf(file: GgufFile): ModelDescription {
  const arch = kvString(file, 'general.architecture');
  if (!arch) throw new ModelImportError(file.path, 'general.architecture is missing');
  const num = (key: string) => kvNumber(file, `${arch}.${key}`);
  const req = (key: string) => num(key) ?? (() => { throw new ModelImportError(file.path, `${arch}.${key} is missing`); })();
  const nEmbd = req('embedding_length');
  const nHead = req('attention.head_count');
  const headDim = num('attention.key_length') ?? nEmbd / nHead;
  const embd = file.tensors.find((t) => t.name === 'token_embd.weight');
  const nVocab = kvArray(file, 'tokenizer.ggml.tokens')?.length ?? embd?.ne[1] ?? 0;
  const scalingType = kvString(file, `${arch}.rope.scaling.type`) ?? 'none';
  const ropeScaling: RopeScaling = {
    type: scalingType === 'linear' || scalingType === 'yarn' ? scalingType : 'none',
    factor: num('rope.scaling.factor') ?? 1,
  };
  const originalContext = num('rope.scaling.original_context_length');
  if (originalContext !== undefined) ropeScaling.originalContext = originalContext;
  if (file.tensors.some((t) => t.name === 'rope_freqs.weight'))
    throw new ModelImportError(file.path, 'per-frequency RoPE factors (rope_freqs.weight, llama3 scaling) are not supported yet');
  const desc: ModelDescription = {
    format: 'gguf',
    path: file.path,
    name: kvString(file, 'general.name') ?? path.basename(file.path, '.gguf'),
    hparams: {
      architecture: arch,
      nVocab,
      nEmbd,
      nFf: req('feed_forward_length'),
      nLayer: req('block_count'),
      nHead,
      nHeadKv: num('attention.head_count_kv') ?? nHead,
      headDim,
      nCtxTrain: num('context_length') ?? 2048,
      rmsEps: num('attention.layer_norm_rms_epsilon') ?? 1e-5,
      ropeBase: num('rope.freq_base') ?? 10000,
      ropeDim: num('rope.dimension_count') ?? headDim,
      ropeType: arch === 'qwen2' || arch === 'qwen3' ? 'neox' : 'normal',
      ropeScaling,
    },
    tensors: file.tensors.map((t) => ({ name: t.name, type: t.type.name, ne: t.ne, file: file.path, offset: t.fileOffset, nbytes: t.nbytes })),
    gguf: file,
  };
  validateDescription(desc);
  return desc;
}

export function importGguf(p: string): ModelDescription {
  return describeGguf(readGguf(p));
}
