// The one IPC channel: the renderer's API calls, checked for their sender and validated, then
// forwarded to the engine process.
import { STUDIO_CHANNEL } from '../contract/api.js';
import { validateCall } from '../contract/validate.js';
import { isTrustedUrl } from './security.js';

export { STUDIO_CHANNEL };

export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown): void;
}

export type Forward = (method: string, args: unknown[]) => Promise<unknown>;

export function registerStudioIpc(ipcMain: IpcMainLike, forward: Forward): void {
  ipcMain.handle(STUDIO_CHANNEL, async (event, method, args) => {
    if (!isTrustedUrl(event.senderFrame?.url)) throw new Error('refused: the call did not come from the studio window');
    const call = validateCall(method, args);
    return forward(call.method, call.args);
  });
}
