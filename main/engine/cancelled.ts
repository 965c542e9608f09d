// The one error every cancelled job ends with, whichever layer noticed the cancel: the job
// runner, an operation, the engine's evaluation loop or a native job (which reports "cancelled").

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** A failure seen after the signal aborted is the cancel itself (native jobs reject with a plain error). */
export function asCancelled(e: unknown, signal: AbortSignal | undefined): unknown {
  return e instanceof CancelledError || !signal?.aborted ? e : new CancelledError();
}
