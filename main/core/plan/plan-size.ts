// The exact size of the GGUF that `lowbit quantize --plan` writes with --method rtn and no
// --imatrix: the same metadata and layout as the quantizer builds, without writing anything.
// Other options add their parameters to lowbit.params (gptq: the calibration set), which can move
// the data offset by one alignment step.
import { quantizedMetadata } from '../export/quantized-metadata.js';
import { ggmlTypeByName } from '../gguf/ggml-types.js';
import { layoutGguf } from '../gguf/writer.js';
import type { ModelDescription } from '../model/types.js';
import type { PlanFile } from '../../contract/sensitivity.js';
import { planParams, planTensorTypes } from './plan-types.js';

export const GGUF_ALIGNMENT = 32;

export interface PlanFileSize {
  fileBytes: number;
  /** header, metadata and tensor infos, padded to the alignment */
  headerBytes: number;
}

export function planFileSize(desc: ModelDescription, plan: PlanFile): PlanFileSize {
  const types = planTensorTypes(desc, plan);
  const tensors = desc.tensors.map((t) => ({ name: t.name, type: types.get(t.name)!.type, ne: t.ne }));
  const metadata = quantizedMetadata(desc, tensors, {
    method: 'rtn',
    params: planParams(plan, null),
    plan: Object.fromEntries(tensors.map((t) => [t.name, t.type])),
  });
  const layout = layoutGguf(
    metadata,
    tensors.map((t) => ({ name: t.name, type: ggmlTypeByName(t.type)!, ne: t.ne })),
    GGUF_ALIGNMENT,
  );
  return { fileBytes: layout.fileSize, headerBytes: layout.dataOffset };
}
