// What a host says when a call fails: file-system errors in plain words, temporary file names
// replaced by the file the user named, and an HTTP status that tells bad input (4xx) from a fault
// of ours (500).
import { InvalidRequestError } from '../../contract/validate.js';
import { CancelledError } from '../../engine/cancelled.js';
import { InvalidOperationError } from '../operations/spec.js';
import { OutputExistsError } from '../operations/output.js';

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder where a file was expected',
  ENOTDIR: 'a part of this path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'the disk is full: free some space and try again',
  EDQUOT: 'the disk quota is used up: free some space and try again',
  EROFS: 'the disk is read-only',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many files are open: close some programs and try again',
};

/** `.model.gguf.1234.1700000000000.tmp` (writeAtomically's temporary name) → `model.gguf`. */
const hideTempNames = (s: string) => s.replace(/(^|[/\\\s'"(])\.([^/\\\s'"]+?)\.\d+\.\d+\.tmp\b/g, '$1$2');

export function userMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.message !== 'string') return String(e);
  const plain = err.code && FILE_ERRORS[err.code];
  const message = plain ? (err.path ? `${err.path}: ${plain}` : `a file operation failed: ${plain}`) : err.message;
  return hideTempNames(message);
}

/** 400: a request we cannot read; 409: it needs the user's confirmation; 422: it cannot be done; 500: our fault. */
export function httpStatus(e: unknown): number {
  if (e instanceof InvalidRequestError || e instanceof InvalidOperationError || e instanceof SyntaxError) return 400;
  if (e instanceof OutputExistsError) return 409;
  if (e instanceof CancelledError) return 409;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 507;
  if (code && FILE_ERRORS[code]) return 422;
  // the core's own errors say what is wrong with the request; JavaScript's built-in ones are our bugs
  const internal = [TypeError, ReferenceError, RangeError, EvalError, URIError].some((k) => e instanceof k);
  return e instanceof Error && !internal ? 422 : 500;
}
