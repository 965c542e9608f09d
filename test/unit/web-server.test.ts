// Web mode's access rules: 127.0.0.1 only, the per-launch token on every request, validated calls.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import { rendererDir } from '../../main/cli/studio.js';
import { Store } from '../../main/core/db/store.js';
import { studioService } from '../../main/core/studio/service.js';
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
  before(async () => {
    store = new Store(':memory:');
    server = await startWebServer({ api: studioService(store), rendererDir: rendererDir() });
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
});
