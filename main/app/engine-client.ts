// Talks to the engine process (a utilityProcess running engine-host.js) with request ids. When the
// engine process exits, every call still waiting is rejected with a message saying so, and later
// calls fail at once instead of waiting forever.
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
}

export function engineClient(port: PortLike) {
  let next = 1;
  let exited: Error | null = null;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  port.on('message', (m) => {
    const msg = m as { id: number; ok: boolean; result?: unknown; error?: string };
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  });
  port.on('exit', (code) => {
    exited = new Error(`the studio's engine process stopped (exit code ${code}); restart the studio to go on — finished runs are kept, running jobs are marked interrupted`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  return (method: string, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = next++;
      pending.set(id, { resolve, reject });
      port.postMessage({ id, method, args });
    });
}
