// Web mode: the renderer and the studio API on 127.0.0.1 only. Every request needs the per-launch
// token — given once in the URL, then kept in an HttpOnly, SameSite=Strict cookie — and a Host
// header naming this server (so other sites cannot reach it through DNS rebinding). Job events
// stream over a WebSocket at /api/events under the same rules, plus an Origin check.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

import type { StudioApi } from '../contract/api.js';
import { validateCall } from '../contract/validate.js';
import { httpStatus, userMessage } from '../core/errors/user-message.js';
import { OutputExistsError } from '../core/operations/output.js';

export interface WebServerOptions {
  api: StudioApi;
  /** folder with the built renderer (index.html + assets) */
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2',
};
const MAX_BODY = 1 << 20;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function cookieToken(req: http.IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === 'lowbit_token') return v;
  }
  return undefined;
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

function refuseUpgrade(socket: Duplex, status: number, why: string) {
  socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const token = o.token ?? crypto.randomBytes(24).toString('base64url');
  const root = path.resolve(o.rendererDir);
  let port = 0;
  const ownHost = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = req.headers.host ?? '';
    if (!ownHost(host)) return send(res, 403, 'forbidden host');
    const url = new URL(req.url ?? '/', `http://${host}`);
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null && safeEqual(fromQuery, token) && req.method === 'GET') {
      // trade the URL token for a cookie and drop it from the address bar
      url.searchParams.delete('token');
      res.writeHead(303, { Location: url.pathname + url.search, 'Set-Cookie': `lowbit_token=${token}; HttpOnly; SameSite=Strict; Path=/` });
      return res.end();
    }
    const cookie = cookieToken(req);
    if (!cookie || !safeEqual(cookie, token)) return send(res, 401, 'open the URL printed by `lowbit studio --web` (it carries the access token)');

    if (url.pathname === '/api/call') {
      if (req.method !== 'POST') return send(res, 405, 'POST only');
      if (req.headers['content-type']?.split(';')[0] !== 'application/json') return send(res, 415, 'JSON only');
      let body = '';
      for await (const chunk of req) {
        body += chunk;
        if (body.length > MAX_BODY) return send(res, 413, 'request too large');
      }
      try {
        const parsed = JSON.parse(body) as { method?: unknown; args?: unknown };
        const { method, args } = validateCall(parsed.method, parsed.args);
        const fn = o.api[method] as (...a: unknown[]) => Promise<unknown>;
        const result = await fn(...args);
        return send(res, 200, JSON.stringify({ ok: true, result: result ?? null }), 'application/json');
      } catch (e) {
        const status = httpStatus(e);
        const error = status === 500 ? `internal error (${userMessage(e)}): please report it` : userMessage(e);
        return send(res, status, JSON.stringify({ ok: false, error, ...(e instanceof OutputExistsError ? { exists: true } : {}) }), 'application/json');
      }
    }
    if (req.method !== 'GET') return send(res, 405, 'GET only');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) return send(res, 404, 'not found');
    fs.readFile(file, (err, data) => {
      if (err) return send(res, 404, 'not found');
      const headers: Record<string, string> = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY };
      send(res, 200, data, TYPES[path.extname(file)] ?? 'application/octet-stream', headers);
    });
  };

  const server = http.createServer((req, res) => {
    // a malformed address (bad percent-encoding) is the request's fault
    handle(req, res).catch((e) => send(res, e instanceof URIError ? 400 : 500, e instanceof URIError ? 'malformed address' : 'internal error'));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  server.on('upgrade', (req, socket, head) => {
    if (!ownHost(req.headers.host)) return refuseUpgrade(socket, 403, 'Forbidden');
    // a browser always sends Origin on WebSockets: only our own pages may listen
    const origin = req.headers.origin;
    if (!origin || !ownHost(origin.replace(/^http:\/\//, '')) || !origin.startsWith('http://')) return refuseUpgrade(socket, 403, 'Forbidden');
    const cookie = cookieToken(req);
    if (!cookie || !safeEqual(cookie, token)) return refuseUpgrade(socket, 401, 'Unauthorized');
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/events') return refuseUpgrade(socket, 404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const off = o.api.onJobEvent((e) => ws.send(JSON.stringify(e)));
      ws.on('close', off);
      ws.on('message', () => ws.close(1003, 'this socket only sends'));
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}/?token=${token}`,
        port,
        token,
        close: () =>
          new Promise((r) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.close(() => r());
          }),
      });
    });
  });
}
