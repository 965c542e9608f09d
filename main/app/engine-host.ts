// The engine process (Electron utilityProcess): owns the store and the native engine, answers
// API calls from the main process, so long work never blocks the window.
import type { StudioApi } from '../contract/api.js';
import { validateCall } from '../contract/validate.js';
import { defaultDbPath } from '../core/db/paths.js';
import { Store } from '../core/db/store.js';
import { studioService } from '../core/studio/service.js';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function serveEngine(port: ParentPort, api: StudioApi): void {
  port.on('message', async ({ data }) => {
    const { id, method, args } = data as { id: number; method: unknown; args: unknown };
    try {
      const call = validateCall(method, args);
      const result = await (api[call.method] as (...a: unknown[]) => Promise<unknown>)(...call.args);
      port.postMessage({ id, ok: true, result: result ?? null });
    } catch (e) {
      port.postMessage({ id, ok: false, error: (e as Error).message });
    }
  });
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (parentPort) serveEngine(parentPort, studioService(new Store(process.env.LOWBIT_DB ?? defaultDbPath())));
