// Electron main process: one sandboxed window served from app://, the API over one IPC channel,
// the engine in a utilityProcess whose job events reach the window over a MessagePort.
// Everything else lives in main/core.
import { app, BrowserWindow, dialog, ipcMain, MessageChannelMain, net, protocol, session, shell, utilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { engineClient } from './engine-client.js';
import { registerChooseFile, registerStudioIpc } from './ipc.js';
import { connectJobEvents } from './job-events.js';
import { APP_CSP, APP_ORIGIN, isTrustedUrl, resolveAppFile, windowOptions } from './security.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(here, '..', '..', 'renderer');

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

app.whenReady().then(() => {
  protocol.handle('app', (request) => {
    const file = resolveAppFile(rendererDir, request.url);
    if (!file) return new Response('not found', { status: 404 });
    return net.fetch(pathToFileURL(file).toString());
  });
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [APP_CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  // the engine outlives windows: jobs keep running while the window is closed and reopened
  const engine = utilityProcess.fork(path.join(here, 'engine-host.js'), [], { serviceName: 'Lowbit engine' });
  registerStudioIpc(ipcMain, engineClient(engine));
  registerChooseFile(ipcMain, (event, request) => {
    const win = BrowserWindow.fromWebContents(event.sender);
    return win ? dialog.showOpenDialog(win, request) : dialog.showOpenDialog(request);
  });

  const openWindow = () => {
    const win = new BrowserWindow(windowOptions(path.join(here, '..', 'preload', 'preload.cjs')));
    win.webContents.on('will-navigate', (event, url) => {
      if (!isTrustedUrl(url)) event.preventDefault();
    });
    win.webContents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    win.webContents.on('did-finish-load', () => connectJobEvents(engine, win.webContents, () => new MessageChannelMain()));
    win.once('ready-to-show', () => win.show());
    void win.loadURL(`${APP_ORIGIN}/index.html`);
  };
  openWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
