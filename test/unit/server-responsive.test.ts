// Jobs do not stall the web server: tokenizing runs on a worker thread and the native work on
// its own threads, so API calls keep being answered while a job runs. Before tokenizing moved
// off the main thread, tokenizing this text blocked every call for several seconds.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';

import { rendererDir } from '../../main/cli/studio.js';
import { Store } from '../../main/core/db/store.js';
import { studioService } from '../../main/core/studio/service.js';
import { startWebServer } from '../../main/server/web-server.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

function listProjects(port: number, token: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/call', method: 'POST', headers: { Host: `127.0.0.1:${port}`, Cookie: `lowbit_token=${token}`, 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ method: 'listProjects', args: [] }));
  });
}

describe('web server during jobs', { skip: skipNoShared }, () => {
  it('answers API calls while a calibration job tokenizes 800 KB and a sensitivity job measures', async () => {
    const store = new Store(':memory:');
    const api = studioService(store);
    const server = await startWebServer({ api, rendererDir: rendererDir() });
    try {
      const model = sharedPath('models', 'stories260K.gguf');
      const p = await api.createProject('p');
      const during = async (start: () => Promise<unknown>) => {
        const latencies: number[] = [];
        let running = true;
        const settled = start().then(() => api.idle()).finally(() => (running = false));
        while (running) {
          latencies.push(await listProjects(server.port, server.token));
          await new Promise((r) => setTimeout(r, 20));
        }
        await settled;
        return latencies;
      };
      const cal = await during(() => api.startJob({ kind: 'calibrate', projectId: p.id, model, paths: [sharedPath('data', 'tinystories_val.txt')], sequences: 16, length: 64, seed: 1 }));
      const [set] = await api.listTextSets(p.id);
      assert.ok(set, `the calibration job failed: ${(await api.listJobs(p.id))[0].error}`);
      const sens = await during(() => api.startJob({ kind: 'sensitivity', projectId: p.id, model, textSetId: set.id, types: ['Q4_0', 'Q8_0'] }));
      assert.ok((await api.listJobs(p.id)).every((j) => j.status === 'done'));
      for (const [what, l] of [['calibrate', cal], ['sensitivity', sens]] as const) {
        assert.ok(l.length >= 5, `${what}: only ${l.length} calls answered during the job`);
        assert.ok(Math.max(...l) < 1000, `${what}: the slowest call took ${Math.max(...l).toFixed(0)} ms (${l.length} calls)`);
      }
    } finally {
      await server.close();
      store.close();
    }
  });
});
