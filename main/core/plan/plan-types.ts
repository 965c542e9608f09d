// A plan applied to a model: the type of every tensor, after checking that the plan was made for
// this model (same quantizable tensors, same shapes) and that every type fits its tensor's rows.
import type { ModelDescription } from '../model/types.js';
import { isQuantizable, PresetChoice, unquantizedType } from '../quant/presets.js';
import type { PlanFile } from '../../contract/sensitivity.js';
import { rowWidthProblem } from '../gguf/ggml-types.js';
import { fitsRow, ggmlType } from './rules.js';

export class PlanMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanMismatchError';
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Every tensor of the model (in the model's order) → its type under the plan. */
export function planTensorTypes(desc: ModelDescription, plan: PlanFile): Map<string, PresetChoice> {
  if (plan?.version !== 1 || typeof plan.tensors !== 'object' || plan.tensors === null)
    throw new PlanMismatchError('not a plan file (expected version 1 with a tensors map)');
  const byName = new Map(desc.tensors.map((t) => [t.name, t]));
  for (const [name, type] of Object.entries(plan.tensors)) {
    const t = byName.get(name);
    if (!t) throw new PlanMismatchError(`the plan names tensor ${name}, which ${desc.path} does not have: was the plan made for another model?`);
    const ne = plan.ne?.[name];
    if (ne && !sameShape(ne, t.ne))
      throw new PlanMismatchError(`tensor ${name} is [${t.ne.join(', ')}] in ${desc.path} but [${ne.join(', ')}] in the plan: was the plan made for another model?`);
    if (!isQuantizable({ name, ne: t.ne, type: t.type })) throw new PlanMismatchError(`the plan gives ${name} the type ${type}, but that tensor is not quantizable`);
    const g = ggmlType(type, `plan, tensor ${name}`);
    if (!fitsRow(type, t.ne))
      throw new PlanMismatchError(`the plan gives ${name} the type ${type}, but its ${rowWidthProblem(g, t.ne[0])}`);
  }
  const out = new Map<string, PresetChoice>();
  const missing: string[] = [];
  for (const t of desc.tensors) {
    const quantizable = isQuantizable({ name: t.name, ne: t.ne, type: t.type });
    const planned = plan.tensors[t.name];
    if (quantizable && planned === undefined) missing.push(t.name);
    out.set(t.name, { type: planned === undefined ? unquantizedType(t) : ggmlType(planned, t.name).name });
  }
  if (missing.length)
    throw new PlanMismatchError(
      `the plan has no type for ${missing.length} quantizable tensor(s) of ${desc.path} (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ' …' : ''}): was the plan made for another model?`,
    );
  return out;
}

/** The plan's summary as the quantized file records it in lowbit.params (the types go to lowbit.plan). */
export function planParams(plan: PlanFile, imatrix: string | null): Record<string, unknown> {
  return {
    plan: { target: plan.target, bitsPerWeight: plan.bitsPerWeight, predictedKl: plan.predictedKl, ...(plan.model.sha256 ? { model: plan.model.sha256 } : {}) },
    imatrix,
  };
}
