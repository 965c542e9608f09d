// ggml tensor types as stored in GGUF (enum value, elements per block, bytes per block), read from
// the native engine's type registry on first use: one table, native/src/core/formats.
import { rowsFit as blocksFit } from '../../engine/row-width.js';
import { native } from '../../engine/native.js';

export interface GgmlTypeDesc {
  id: number;
  name: string;
  blockSize: number;
  typeSize: number;
}

interface Table {
  list: readonly GgmlTypeDesc[];
  byId: Map<number, GgmlTypeDesc>;
  byName: Map<string, GgmlTypeDesc>;
}

let table: Table | undefined;

function types(): Table {
  if (!table) {
    const list = native()
      .typeInfo()
      .map(({ id, name, blockSize, typeSize }) => Object.freeze({ id, name, blockSize, typeSize }));
    table = { list: Object.freeze(list), byId: new Map(list.map((t) => [t.id, t])), byName: new Map(list.map((t) => [t.name, t])) };
  }
  return table;
}

/** Every ggml type, in id order (the native registry is read on first access). */
export const GGML_TYPES: readonly GgmlTypeDesc[] = new Proxy([] as GgmlTypeDesc[], {
  get: (_, key) => Reflect.get(types().list, key),
  has: (_, key) => Reflect.has(types().list, key),
  ownKeys: () => Reflect.ownKeys(types().list),
  getOwnPropertyDescriptor: (_, key) => {
    const d = Reflect.getOwnPropertyDescriptor(types().list, key);
    // the proxy's target is a writable array, so its descriptors must say so
    return d && { ...d, writable: key === 'length' ? true : d.writable, configurable: key !== 'length' };
  },
});

export { rowWidthProblem } from '../../engine/row-width.js';

export function ggmlTypeById(id: number): GgmlTypeDesc | undefined {
  return types().byId.get(id);
}

export function ggmlTypeByName(name: string): GgmlTypeDesc | undefined {
  return types().byName.get(name.toUpperCase());
}

/** Whether rows of ne0 elements are a whole number of the type's blocks (a type given by name must exist). */
export function rowsFit(type: Pick<GgmlTypeDesc, 'blockSize'> | string, ne0: number): boolean {
  const t = typeof type === 'string' ? ggmlTypeByName(type) : type;
  if (!t) throw new Error(`unknown ggml type ${type as string}`);
  return blocksFit(t, ne0);
}

/** Bytes taken by a tensor of shape ne (ne[0] = row width) in the given type. */
export function tensorBytes(type: GgmlTypeDesc, ne: readonly number[]): number {
  const rows = ne.slice(1).reduce((a, b) => a * b, 1);
  return (ne[0] / type.blockSize) * type.typeSize * rows;
}

/** llama_ftype values written to general.file_type (llama.h). */
export const LLAMA_FTYPE: Record<string, number> = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K_S: 11, Q3_K_M: 12,
  Q3_K_L: 13, Q4_K_S: 14, Q4_K_M: 15, Q5_K_S: 16, Q5_K_M: 17, Q6_K: 18, IQ2_XXS: 19, IQ2_XS: 20,
  Q2_K_S: 21, IQ3_XS: 22, IQ3_XXS: 23, IQ1_S: 24, IQ4_NL: 25, IQ3_S: 26, IQ3_M: 27, IQ2_S: 28,
  IQ2_M: 29, IQ4_XS: 30, IQ1_M: 31, BF16: 32, TQ1_0: 36, TQ2_0: 37, MXFP4_MOE: 38,
};
