// The sandboxed window's only bridge: one `studio` object implementing StudioApi over one channel.
import { contextBridge, ipcRenderer } from 'electron';

import type { StudioApi, StudioMethod } from '../contract/api.js';

const call = (method: StudioMethod, ...args: unknown[]) => ipcRenderer.invoke('studio:call', method, args);

const studio = {
  listProjects: () => call('listProjects'),
  createProject: (name) => call('createProject', name),
  renameProject: (id, name) => call('renameProject', id, name),
  deleteProject: (id) => call('deleteProject', id),
  listRuns: (projectId) => call('listRuns', projectId),
  inspectModel: (path) => call('inspectModel', path),
} satisfies StudioApi;

contextBridge.exposeInMainWorld('studio', studio);
