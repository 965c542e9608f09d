// The studio API as the renderer sees it: window.studio in Electron (exposed by the preload),
// or JSON calls to the local web server plus a WebSocket for job events in web mode.
import type { JobEvent, StudioApi, StudioCalls, StudioMethod } from '../../main/contract/api';
import { STUDIO_METHODS } from '../../main/contract/api';
import { connection } from './stores/connection.svelte';

declare global {
  interface Window {
    studio?: StudioApi;
  }
}

/** The server is gone: the page shows the banner, and the call fails with this. */
function stopped(): Error {
  connection.markLost();
  return new Error('the studio server stopped');
}

async function call(method: StudioMethod, args: unknown[]): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch('api/call', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method, args }) });
  } catch {
    throw stopped();
  }
  // 401: the page's access token is not this server's (it was restarted)
  if (res.status === 401) throw stopped();
  const body = (await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }))) as { ok: boolean; result?: unknown; error?: string; exists?: boolean };
  // exists: the output file is there and the user has not confirmed replacing it
  if (!body.ok) throw Object.assign(new Error(body.error ?? `HTTP ${res.status}`), { exists: body.exists === true });
  return body.result;
}

/**
 * One WebSocket for all listeners. When it closes, one call asks whether the server is still
 * there: if so the socket reopens, if not the page shows the lost-connection banner and stops
 * trying (no endless reconnect errors).
 */
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
      if (!listeners.size || connection.lost) return;
      call('listProjects', []).then(() => !socket && listeners.size && open(), () => connection.markLost());
    };
  };
  return (listener: (e: JobEvent) => void) => {
    listeners.add(listener);
    if (!socket && !connection.lost) open();
    return () => void listeners.delete(listener);
  };
}

function webApi(): StudioApi {
  const calls = Object.fromEntries(STUDIO_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as StudioCalls;
  return { ...calls, onJobEvent: webEvents() };
}

export const api: StudioApi = window.studio ?? webApi();
