// The studio API as the renderer sees it: window.studio in Electron (exposed by the preload),
// or JSON calls to the local web server plus a WebSocket for job events in web mode.
import type { JobEvent, StudioApi, StudioCalls, StudioMethod } from '../../main/contract/api';
import { STUDIO_METHODS } from '../../main/contract/api';

declare global {
  interface Window {
    studio?: StudioApi;
  }
}

async function call(method: StudioMethod, args: unknown[]): Promise<unknown> {
  const res = await fetch('api/call', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method, args }) });
  const body = (await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }))) as { ok: boolean; result?: unknown; error?: string };
  if (!body.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.result;
}

/** One WebSocket for all listeners, reopened after a drop (the server may restart). */
function webEvents() {
  const listeners = new Set<(e: JobEvent) => void>();
  let socket: WebSocket | null = null;
  const open = () => {
    const url = new URL('api/events', location.href);
    url.protocol = 'ws:';
    socket = new WebSocket(url);
    socket.onmessage = (m) => {
      const e = JSON.parse(String(m.data)) as JobEvent;
      for (const l of listeners) l(e);
    };
    socket.onclose = () => {
      socket = null;
      if (listeners.size) setTimeout(open, 1000);
    };
  };
  return (listener: (e: JobEvent) => void) => {
    listeners.add(listener);
    if (!socket) open();
    return () => void listeners.delete(listener);
  };
}

function webApi(): StudioApi {
  const calls = Object.fromEntries(STUDIO_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as StudioCalls;
  return { ...calls, onJobEvent: webEvents() };
}

export const api: StudioApi = window.studio ?? webApi();
