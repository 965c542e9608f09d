/** A model that cannot be used, with a message naming the file and what is wrong. */
export class ModelImportError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelImportError';
  }
}
