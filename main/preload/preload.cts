// The sandboxed window's only bridge: one `studio` object implementing StudioApi over one call
// channel, plus job events from the engine process over a MessagePort that main hands over.
// A sandboxed preload cannot require our modules, so the channel names are repeated here; a
// unit test checks them against main/contract.
import { contextBridge, ipcRenderer } from 'electron';

import type { JobEvent, StudioApi, StudioMethod } from '../contract/api.js';

const CALL_CHANNEL = 'studio:call';
const EVENTS_PORT_CHANNEL = 'studio:events-port';
const CHOOSE_FILE_CHANNEL = 'studio:choose-file';

const call = (method: StudioMethod, ...args: unknown[]) => ipcRenderer.invoke(CALL_CHANNEL, method, args);

const listeners = new Set<(event: JobEvent) => void>();
ipcRenderer.on(EVENTS_PORT_CHANNEL, (event) => {
  const port = event.ports[0];
  if (!port) return;
  port.onmessage = (m) => {
    for (const l of listeners) l(m.data as JobEvent);
  };
});

const studio = {
  listProjects: () => call('listProjects'),
  createProject: (name) => call('createProject', name),
  renameProject: (id, name) => call('renameProject', id, name),
  deleteProject: (id) => call('deleteProject', id),
  listRuns: (projectId) => call('listRuns', projectId),
  inspectModel: (path) => call('inspectModel', path),
  quantizeTypes: () => call('quantizeTypes'),
  startJob: (spec) => call('startJob', spec),
  cancelJob: (id) => call('cancelJob', id),
  listJobs: (projectId) => call('listJobs', projectId),
  listTextSets: (projectId) => call('listTextSets', projectId),
  sensitivity: (runId) => call('sensitivity', runId),
  importSensitivity: (projectId, path) => call('importSensitivity', projectId, path),
  plan: (runId, target, pins) => call('plan', runId, target, pins),
  savePlan: (runId, target, pins) => call('savePlan', runId, target, pins),
  listPlans: (projectId) => call('listPlans', projectId),
  compareRuns: (a, b) => call('compareRuns', a, b),
  exportRun: (runId, path, overwrite) => call('exportRun', runId, path, overwrite ?? false),
  outputFolder: (projectId) => call('outputFolder', projectId),
  ggufPreview: (path) => call('ggufPreview', path),
  checkLlamaCpp: (path) => call('checkLlamaCpp', path),
  listDir: (path) => call('listDir', path),
  chooseFile: (options) => ipcRenderer.invoke(CHOOSE_FILE_CHANNEL, options),
  onJobEvent: (listener) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  },
} satisfies StudioApi;

contextBridge.exposeInMainWorld('studio', studio);
