// The studio API as the renderer sees it: window.studio in Electron (exposed by the preload),
// or JSON calls to the local web server in web mode.
import type { StudioApi, StudioMethod } from '../../main/contract/api';

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

const web: StudioApi = {
  listProjects: () => call('listProjects', []) as ReturnType<StudioApi['listProjects']>,
  createProject: (name) => call('createProject', [name]) as ReturnType<StudioApi['createProject']>,
  renameProject: (id, name) => call('renameProject', [id, name]) as Promise<void>,
  deleteProject: (id) => call('deleteProject', [id]) as Promise<void>,
  listRuns: (projectId) => call('listRuns', [projectId]) as ReturnType<StudioApi['listRuns']>,
  inspectModel: (path) => call('inspectModel', [path]) as ReturnType<StudioApi['inspectModel']>,
};

export const api: StudioApi = window.studio ?? web;
