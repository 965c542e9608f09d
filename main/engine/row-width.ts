// The one row-width rule of every ggml type: a row is a whole number of the type's blocks.

export interface BlockGeometry {
  name: string;
  blockSize: number;
}

export function rowsFit(type: Pick<BlockGeometry, 'blockSize'>, ne0: number): boolean {
  return Number.isInteger(ne0) && ne0 >= 0 && ne0 % type.blockSize === 0;
}

/** The reason rows of ne0 values cannot take this type. */
export function rowWidthProblem(type: BlockGeometry, ne0: number): string {
  return `rows of ${ne0} values are not a multiple of ${type.name}'s block size ${type.blockSize}`;
}
