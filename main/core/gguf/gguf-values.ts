// GGUF metadata value types and the in-memory form of a key/value pair.
export enum GgufType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

export type GgufScalar = number | bigint | boolean | string;

/** One metadata entry. 64-bit integers are bigint so that they round-trip exactly. */
export type GgufKv =
  | { type: Exclude<GgufType, GgufType.ARRAY>; value: GgufScalar }
  | { type: GgufType.ARRAY; elemType: Exclude<GgufType, GgufType.ARRAY>; value: GgufScalar[] };

export const SCALAR_SIZE: Partial<Record<GgufType, number>> = {
  [GgufType.UINT8]: 1, [GgufType.INT8]: 1, [GgufType.BOOL]: 1,
  [GgufType.UINT16]: 2, [GgufType.INT16]: 2,
  [GgufType.UINT32]: 4, [GgufType.INT32]: 4, [GgufType.FLOAT32]: 4,
  [GgufType.UINT64]: 8, [GgufType.INT64]: 8, [GgufType.FLOAT64]: 8,
};

export function isValueType(t: number): t is GgufType {
  return Number.isInteger(t) && t >= 0 && t <= 12;
}
