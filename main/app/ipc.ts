// The one IPC channel: the renderer's API calls, checked for their sender and validated, then
// forwarded to the engine process.
import { CHOOSE_FILE_CHANNEL, ChooseFileOptions, STUDIO_CHANNEL } from '../contract/api.js';
import { validateCall } from '../contract/validate.js';
import { isTrustedUrl } from './security.js';

export { CHOOSE_FILE_CHANNEL, STUDIO_CHANNEL };

export interface IpcEventLike {
  senderFrame?: { url: string } | null;
}

export interface IpcMainLike<E extends IpcEventLike = IpcEventLike> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => unknown): void;
}

/** What the main process passes to dialog.showOpenDialog. */
export interface OpenDialogRequest {
  title: string;
  properties: Array<'openFile' | 'openDirectory'>;
  filters?: Array<{ name: string; extensions: string[] }>;
}

export type Forward = (method: string, args: unknown[]) => Promise<unknown>;

export function registerStudioIpc(ipcMain: IpcMainLike, forward: Forward): void {
  ipcMain.handle(STUDIO_CHANNEL, async (event, method, args) => {
    if (!isTrustedUrl(event.senderFrame?.url)) throw new Error('refused: the call did not come from the studio window');
    const call = validateCall(method, args);
    return forward(call.method, call.args);
  });
}

function chooseFileOptions(v: unknown): ChooseFileOptions {
  const o = v as Partial<ChooseFileOptions> | null;
  const ok =
    typeof o === 'object' && o !== null && Object.keys(o).every((k) => k === 'title' || k === 'kind') &&
    typeof o.title === 'string' && o.title.length > 0 && o.title.length <= 200 && (o.kind === 'file' || o.kind === 'folder');
  if (!ok) throw new Error('chooseFile: give {title: 1–200 characters, kind: "file" | "folder"}');
  return o as ChooseFileOptions;
}

/**
 * The native open dialog runs in the main process (the engine process has no windows): the
 * window asks on its own channel, with the same sender check, and gets a path or null.
 */
export function registerChooseFile<E extends IpcEventLike>(
  ipcMain: IpcMainLike<E>,
  open: (event: E, request: OpenDialogRequest) => Promise<{ canceled: boolean; filePaths: string[] }>,
): void {
  ipcMain.handle(CHOOSE_FILE_CHANNEL, async (event, options) => {
    if (!isTrustedUrl(event.senderFrame?.url)) throw new Error('refused: the call did not come from the studio window');
    const o = chooseFileOptions(options);
    const r = await open(event, {
      title: o.title,
      properties: [o.kind === 'folder' ? 'openDirectory' : 'openFile'],
      ...(o.kind === 'file' ? { filters: [{ name: 'Models (GGUF, llama2.c)', extensions: ['gguf', 'bin'] }] } : {}),
    });
    return r.canceled || !r.filePaths.length ? null : r.filePaths[0];
  });
}
