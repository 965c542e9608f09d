// The engine process (Electron utilityProcess): owns the store, the native engine and the jobs,
// answers API calls from the main process, and streams job events to each window over the
// MessagePort main hands it, so long work never blocks the window.
import type { StudioApi } from '../contract/api.js';
import { validateCall } from '../contract/validate.js';
import { defaultDbPath } from '../core/db/paths.js';
import { userMessage } from '../core/errors/user-message.js';
import { Store } from '../core/db/store.js';
import { studioService } from '../core/studio/service.js';

export interface EventPort {
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
}

export interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown; ports?: EventPort[] }) => void): void;
  postMessage(message: unknown): void;
}

export function serveEngine(port: ParentPort, api: StudioApi): void {
  port.on('message', async ({ data, ports }) => {
    if ((data as { type?: unknown })?.type === 'events-port') {
      const events = ports?.[0];
      if (!events) return;
      const off = api.onJobEvent((e) => events.postMessage(e));
      events.on('close', off);
      events.start();
      return;
    }
    const { id, method, args } = data as { id: number; method: unknown; args: unknown };
    try {
      const call = validateCall(method, args);
      const result = await (api[call.method] as (...a: unknown[]) => Promise<unknown>)(...call.args);
      port.postMessage({ id, ok: true, result: result ?? null });
    } catch (e) {
      port.postMessage({ id, ok: false, error: userMessage(e) });
    }
  });
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (parentPort) serveEngine(parentPort, studioService(new Store(process.env.LOWBIT_DB ?? defaultDbPath())));
