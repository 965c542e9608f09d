// Web mode's access rules: 127.0.0.1 only, the per-launch token on every request, validated calls.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';

import type { JobEvent } from '../../main/contract/api.js';

import { rendererDir } from '../../main/cli/studio.js';
import { Store } from '../../main/core/db/store.js';
import { studioService, StudioService } from '../../main/core/studio/service.js';
import { CONTENT_SECURITY_POLICY, startWebServer, WebServer } from '../../main/server/web-server.js';

function request(port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...o.headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('web server', () => {
  let server: WebServer;
  let store: Store;
  let api: StudioService;
  before(async () => {
    store = new Store(':memory:');
    api = studioService(store);
    server = await startWebServer({ api, rendererDir: rendererDir() });
  });
  after(async () => {
    await server.close();
    store.close();
  });

  it('listens on 127.0.0.1 and prints a URL with a long random token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it('refuses requests without the token, with a wrong one, or for another host', async () => {
    assert.equal((await request(server.port, '/')).status, 401);
    assert.equal((await request(server.port, '/', { headers: { Cookie: 'lowbit_token=wrong' } })).status, 401);
    assert.equal((await request(server.port, `/?token=${server.token}`, { headers: { Host: 'evil.example:80' } })).status, 403);
  });

  it('trades the URL token for a strict HttpOnly cookie and serves the app with a CSP', async () => {
    const first = await request(server.port, `/?token=${server.token}`);
    assert.equal(first.status, 303);
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await request(server.port, '/', { headers: { Cookie: `lowbit_token=${server.token}` } });
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal((await request(server.port, '/../../etc/passwd', { headers: { Cookie: `lowbit_token=${server.token}` } })).status, 404);
  });

  it('validates API calls', async () => {
    const call = (body: unknown) =>
      request(server.port, '/api/call', { method: 'POST', body: JSON.stringify(body), headers: { Cookie: `lowbit_token=${server.token}`, 'Content-Type': 'application/json' } });
    const ok = await call({ method: 'createProject', args: ['p'] });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).result.name, 'p');
    const bad = await call({ method: 'renameProject', args: ['x', 'y'] });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /argument 1 must be a project id/);
    assert.equal((await call({ method: 'dropDatabase', args: [] })).status, 400);
  });

  it('answers bad input with 4xx and a plain message, never 500 or internal names', async () => {
    const call = (method: string, args: unknown[]) =>
      request(server.port, '/api/call', { method: 'POST', body: JSON.stringify({ method, args }), headers: { Cookie: `lowbit_token=${server.token}`, 'Content-Type': 'application/json' } });
    const missing = await call('inspectModel', ['/nonexistent/model.gguf']);
    assert.equal(missing.status, 422);
    assert.match(JSON.parse(missing.body).error, /\/nonexistent\/model\.gguf: no such file or folder/);
    const folder = await call('ggufPreview', ['/tmp']);
    assert.equal(folder.status, 422);
    assert.match(JSON.parse(folder.body).error, /is a folder where a file was expected/);
    assert.doesNotMatch(JSON.parse(folder.body).error, /EISDIR|errno|at .*\.ts:/);
    const unknownRun = await call('exportRun', [424242, '/tmp/x.gguf']);
    assert.equal(unknownRun.status, 422);
    assert.match(JSON.parse(unknownRun.body).error, /run 424242 is not a quantize run/);
    const notJson = await request(server.port, '/api/call', { method: 'POST', body: '{', headers: { Cookie: `lowbit_token=${server.token}`, 'Content-Type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const badAddress = await request(server.port, '/%E0%A4%A', { headers: { Cookie: `lowbit_token=${server.token}` } });
    assert.equal(badAddress.status, 400);
  });

  it('starts one job for a double click: the same spec twice within seconds is the same job', async () => {
    const p = await api.createProject('double click');
    const spec = { kind: 'evaluate' as const, projectId: p.id, model: '/nonexistent.gguf', reference: null, text: '/nonexistent.txt', nCtx: 64 };
    const [a, b] = await Promise.all([api.startJob(spec), api.startJob(spec)]);
    assert.equal(a.id, b.id);
    await api.idle();
    assert.equal((await api.listJobs(p.id)).length, 1);
    // a deleted project's jobs go with it, and its id is never given to the next project
    await api.deleteProject(p.id);
    assert.deepEqual(await api.listJobs(p.id), []);
    assert.ok((await api.createProject('next')).id > p.id);
  });

  it('streams job events over a WebSocket only with the token, our Host and our Origin', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    const url = `ws://127.0.0.1:${server.port}/api/events`;
    const refused = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
        ws.on('open', () => resolve(101));
        ws.on('error', () => {});
      });
    assert.equal(await refused({ Origin: origin }), 401);
    assert.equal(await refused({ Origin: origin, Cookie: 'lowbit_token=wrong' }), 401);
    assert.equal(await refused({ Origin: 'http://evil.example', Cookie: `lowbit_token=${server.token}` }), 403);
    assert.equal(await refused({ Cookie: `lowbit_token=${server.token}` }), 403);

    const ws = new WebSocket(url, { headers: { Origin: origin, Cookie: `lowbit_token=${server.token}` } });
    const events: JobEvent[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));
    const p = await api.createProject('ws');
    await api.startJob({ kind: 'calibrate', projectId: p.id, model: '/no/such/model.gguf', paths: ['/t.txt'], sequences: 1, length: 8, seed: 0 });
    await api.idle();
    await new Promise((r) => setTimeout(r, 50));
    ws.close();
    assert.equal(events[0].job.status, 'running');
    assert.equal(events.at(-1)!.job.status, 'failed');
    assert.ok(events.some((e) => e.line?.includes('no such file or folder')));
  });
});
