// The Electron layer's rules, tested with Electron replaced by plain fakes.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { describe, it } from 'node:test';

import { serveEngine } from '../../main/app/engine-host.js';
import { engineClient } from '../../main/app/engine-client.js';
import { registerStudioIpc, STUDIO_CHANNEL } from '../../main/app/ipc.js';
import { APP_CSP, isTrustedUrl, resolveAppFile, windowOptions } from '../../main/app/security.js';
import { Store } from '../../main/core/db/store.js';
import { studioService } from '../../main/core/studio/service.js';

describe('Electron main process', () => {
  it('opens a sandboxed, context-isolated window without Node in the renderer', () => {
    const o = windowOptions('/app/preload.cjs');
    assert.deepEqual(
      { sandbox: o.webPreferences.sandbox, contextIsolation: o.webPreferences.contextIsolation, nodeIntegration: o.webPreferences.nodeIntegration, webviewTag: o.webPreferences.webviewTag },
      { sandbox: true, contextIsolation: true, nodeIntegration: false, webviewTag: false },
    );
    assert.match(APP_CSP, /default-src 'self'/);
    assert.doesNotMatch(APP_CSP, /unsafe-(inline|eval)/);
  });

  it('serves only files inside the renderer folder from app://', () => {
    const root = path.resolve('/opt/lowbit/renderer');
    assert.equal(resolveAppFile(root, 'app://studio/index.html'), path.join(root, 'index.html'));
    assert.equal(resolveAppFile(root, 'app://studio/'), path.join(root, 'index.html'));
    // dot segments are collapsed by the URL parser and stay inside the folder…
    assert.equal(resolveAppFile(root, 'app://studio/assets/../../../etc/passwd'), path.join(root, 'etc', 'passwd'));
    // …while encoded slashes that would climb out after decoding are refused
    assert.equal(resolveAppFile(root, 'app://studio/..%2f..%2f..%2fetc%2fpasswd'), null);
    assert.equal(resolveAppFile(root, 'app://studio/%2e%2e%2f%2e%2e%2fetc%2fpasswd'), null);
    assert.equal(resolveAppFile(root, 'app://other/index.html'), null);
    assert.equal(resolveAppFile(root, 'file:///etc/passwd'), null);
  });

  it('denies navigation away from the app', () => {
    assert.ok(isTrustedUrl('app://studio/index.html'));
    for (const u of ['https://example.com', 'file:///etc/passwd', 'app://evil/x', 'javascript:alert(1)', undefined]) assert.ok(!isTrustedUrl(u));
  });

  it('IPC checks the sender and validates input before forwarding', async () => {
    const handlers = new Map<string, (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown>();
    const forwarded: unknown[] = [];
    registerStudioIpc({ handle: (c, l) => handlers.set(c, l) }, async (m, a) => (forwarded.push([m, a]), 'ok'));
    const h = handlers.get(STUDIO_CHANNEL)!;
    await assert.rejects(async () => h({ senderFrame: { url: 'https://evil.example' } }, 'listProjects', []), /did not come from the studio window/);
    await assert.rejects(async () => h({ senderFrame: null }, 'listProjects', []), /did not come from the studio window/);
    await assert.rejects(async () => h({ senderFrame: { url: 'app://studio/index.html' } }, 'deleteProject', ['1; DROP TABLE']), /must be a project id/);
    assert.equal(await h({ senderFrame: { url: 'app://studio/index.html' } }, 'createProject', ['x']), 'ok');
    assert.deepEqual(forwarded, [['createProject', ['x']]]);
  });

  it('the engine process answers calls over its port', async () => {
    // two ends of a fake MessagePort pair
    const toEngine = new EventEmitter();
    const toMain = new EventEmitter();
    const store = new Store(':memory:');
    serveEngine({ on: (_e, l) => toEngine.on('message', (data) => l({ data })), postMessage: (m) => toMain.emit('message', m) }, studioService(store));
    const call = engineClient({ on: (_e, l) => toMain.on('message', l), postMessage: (m) => toEngine.emit('message', m) });
    const p = (await call('createProject', ['from the window'])) as { name: string };
    assert.equal(p.name, 'from the window');
    await assert.rejects(call('inspectModel', ['/nonexistent']), /no such file or folder/);
    store.close();
  });
});
