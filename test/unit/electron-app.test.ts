// The Electron layer's rules, tested with Electron replaced by plain fakes.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { EVENTS_PORT_CHANNEL, JobEvent, STUDIO_CHANNEL as CONTRACT_CHANNEL, STUDIO_METHODS } from '../../main/contract/api.js';
import { EventPort, serveEngine } from '../../main/app/engine-host.js';
import { connectJobEvents } from '../../main/app/job-events.js';
import { repoRoot } from '../helpers/shared.js';
import { engineClient } from '../../main/app/engine-client.js';
import { CHOOSE_FILE_CHANNEL, OpenDialogRequest, registerChooseFile, registerStudioIpc, STUDIO_CHANNEL } from '../../main/app/ipc.js';
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

  it('opens the native file dialog in the main process for the studio window only', async () => {
    type Ev = { senderFrame?: { url: string } | null; sender: string };
    const handlers = new Map<string, (event: Ev, ...args: unknown[]) => unknown>();
    const asked: Array<[string, OpenDialogRequest]> = [];
    let answer = { canceled: false, filePaths: ['/models/a.gguf'] };
    registerChooseFile<Ev>({ handle: (c, l) => handlers.set(c, l) }, async (event, request) => (asked.push([event.sender, request]), answer));
    const h = handlers.get(CHOOSE_FILE_CHANNEL)!;
    const ours = { senderFrame: { url: 'app://studio/index.html' }, sender: 'window 1' };
    assert.equal(await h(ours, { title: 'Open a model file', kind: 'file' }), '/models/a.gguf');
    assert.deepEqual(asked[0], ['window 1', { title: 'Open a model file', properties: ['openFile'], filters: [{ name: 'Models (GGUF, llama2.c)', extensions: ['gguf', 'bin'] }] }]);
    answer = { canceled: false, filePaths: ['/models/hf'] };
    assert.equal(await h(ours, { title: 'Open a folder', kind: 'folder' }), '/models/hf');
    assert.deepEqual(asked[1][1].properties, ['openDirectory']);
    answer = { canceled: true, filePaths: [] };
    assert.equal(await h(ours, { title: 'Open', kind: 'file' }), null, 'a cancelled dialog gives null');
    await assert.rejects(async () => h({ senderFrame: { url: 'https://evil.example' }, sender: 'x' }, { title: 'Open', kind: 'file' }), /did not come from the studio window/);
    await assert.rejects(async () => h(ours, { title: 'Open', kind: 'file', defaultPath: '/etc' }), /chooseFile: give/);
    await assert.rejects(async () => h(ours, { title: '', kind: 'file' }), /chooseFile: give/);
    await assert.rejects(async () => h(ours, null), /chooseFile: give/);
    assert.equal(asked.length, 3, 'refused requests open no dialog');
  });

  it('the engine process answers calls over its port', async () => {
    // two ends of a fake MessagePort pair
    const toEngine = new EventEmitter();
    const toMain = new EventEmitter();
    const store = new Store(':memory:');
    serveEngine({ on: (_e, l) => toEngine.on('message', (data) => l({ data })), postMessage: (m) => toMain.emit('message', m) }, studioService(store));
    const call = engineClient({ on: (e: string, l: (m: any) => void) => toMain.on(e, l), postMessage: (m) => toEngine.emit('message', m) });
    const p = (await call('createProject', ['from the window'])) as { name: string };
    assert.equal(p.name, 'from the window');
    await assert.rejects(call('inspectModel', ['/nonexistent']), /no such file or folder/);
    store.close();
  });

  it('rejects the calls waiting on an engine process that exits, and the calls after it', async () => {
    const port = new EventEmitter();
    const sent: unknown[] = [];
    const call = engineClient({ on: (e: string, l: (m: any) => void) => port.on(e, l), postMessage: (m) => sent.push(m) });
    const waiting = call('listProjects', []);
    assert.equal(sent.length, 1, 'the call went out');
    port.emit('exit', 9);
    await assert.rejects(waiting, /engine process stopped \(exit code 9\)/);
    await assert.rejects(call('listProjects', []), /engine process stopped/);
    assert.equal(sent.length, 1, 'nothing is sent to a process that is gone');
  });

  it('streams job events from the engine process over the MessagePort main hands to the window', async () => {
    const toEngine = new EventEmitter();
    const store = new Store(':memory:');
    const api = studioService(store);
    serveEngine({ on: (_e, l) => toEngine.on('message', l), postMessage: () => {} }, api);
    // a fake MessageChannelMain: what one end posts, the other end's owner receives
    const received: JobEvent[] = [];
    const closers: Array<() => void> = [];
    const enginePort: EventPort = { on: (_e, l) => closers.push(l), postMessage: (m) => received.push(m as JobEvent), start: () => {} };
    const windowPort = { name: 'window end' };
    const sentToWindow: unknown[] = [];
    const ok = connectJobEvents(
      { postMessage: (m, ports) => toEngine.emit('message', { data: m, ports }) },
      { getURL: () => 'app://studio/index.html', postMessage: (channel, _m, ports) => sentToWindow.push([channel, ports]) },
      () => ({ port1: enginePort as never, port2: windowPort as never }),
    );
    assert.ok(ok);
    assert.deepEqual(sentToWindow, [[EVENTS_PORT_CHANNEL, [windowPort]]]);
    const p = await api.createProject('p');
    await api.startJob({ kind: 'calibrate', projectId: p.id, model: '/no/such/model.gguf', paths: ['/t.txt'], sequences: 1, length: 8, seed: 0 });
    await api.idle();
    assert.equal(received.at(-1)!.job.status, 'failed');
    assert.match(received.at(-1)!.job.error!, /no such file or folder/);
    // the window closes: its port closes and events stop
    closers.forEach((c) => c());
    const n = received.length;
    await api.startJob({ kind: 'calibrate', projectId: p.id, model: '/no/such/model.gguf', paths: ['/t.txt'], sequences: 1, length: 8, seed: 0 });
    await api.idle();
    assert.equal(received.length, n);
    // pages that are not ours get no port
    assert.equal(connectJobEvents({ postMessage: () => assert.fail() }, { getURL: () => 'https://evil.example/', postMessage: () => assert.fail() }, () => assert.fail()), false);
    store.close();
  });

  it('the preload exposes every API method over the contract channel names', () => {
    const src = fs.readFileSync(path.join(repoRoot, 'main', 'preload', 'preload.cts'), 'utf8');
    assert.match(src, new RegExp(`CALL_CHANNEL = '${CONTRACT_CHANNEL}'`));
    assert.match(src, new RegExp(`EVENTS_PORT_CHANNEL = '${EVENTS_PORT_CHANNEL}'`));
    for (const m of STUDIO_METHODS) assert.match(src, new RegExp(`\\b${m}: \\(`), m);
    assert.match(src, new RegExp(`CHOOSE_FILE_CHANNEL = '${CHOOSE_FILE_CHANNEL}'`));
    assert.match(src, /chooseFile: \(options\) => ipcRenderer\.invoke\(CHOOSE_FILE_CHANNEL, options\)/);
    assert.match(src, /satisfies StudioApi/);
    assert.equal((src.match(/exposeInMainWorld/g) ?? []).length, 1);
  });

  it('validates job requests strictly', async () => {
    const handlers = new Map<string, (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown>();
    registerStudioIpc({ handle: (c, l) => handlers.set(c, l) }, async () => 'ok');
    const h = (m: string, args: unknown[]) => h0({ senderFrame: { url: 'app://studio/index.html' } }, m, args);
    const h0 = handlers.get(STUDIO_CHANNEL)!;
    const q = { kind: 'quantize', projectId: 1, model: '/m.gguf', type: 'Q4_0', method: 'rtn', out: '/o.gguf', textSetId: null };
    assert.equal(await h('startJob', [q]), 'ok');
    await assert.rejects(async () => h('startJob', [{ ...q, method: 'awq' }]), /"method" "rtn" or "gptq"/);
    await assert.rejects(async () => h('startJob', [{ ...q, extra: 1 }]), /unknown field "extra"/);
    await assert.rejects(async () => h('startJob', [{ ...q, kind: 'shell' }]), /kind is one of/);
    await assert.rejects(async () => h('startJob', [{ ...q, type: 'q4_0; rm -rf' }]), /"type"/);
    await assert.rejects(async () => h('plan', [1, { kind: 'bpw', value: -1 }, {}]), /argument 2/);
    await assert.rejects(async () => h('plan', [1, { kind: 'bpw', value: 4 }, { t: 'not a type' }]), /argument 3/);
    await assert.rejects(async () => h('onJobEvent', []), /unknown method/);
  });
});
