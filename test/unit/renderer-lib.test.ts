// The renderer's plain logic: form drafts, the plan budget's range and the chart's axes and units.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { budgetRange, nearestBudget } from '../../renderer/src/lib/budget.js';
import { inUnit, paddedRange, paretoFront, sizeUnit } from '../../renderer/src/lib/chart-data.js';
import { dropDrafts, loadDraft, patchDraft, saveDraft } from '../../renderer/src/lib/drafts.js';
import { joinPath } from '../../renderer/src/lib/format.js';
import { confirmOverwrite, outputExists } from '../../renderer/src/lib/overwrite.js';

/** localStorage's interface over a Map */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('form drafts', () => {
  const defaults = { text: '', nCtx: 256, types: ['Q4_0'], setId: null as number | null };

  it('gives back what was saved, per project', () => {
    const s = memoryStorage();
    saveDraft(1, 'results', { ...defaults, text: '/data/eval.txt', nCtx: 128, setId: 4 }, s);
    assert.deepEqual(loadDraft(1, 'results', defaults, s), { text: '/data/eval.txt', nCtx: 128, types: ['Q4_0'], setId: 4 });
    assert.deepEqual(loadDraft(2, 'results', defaults, s), defaults, 'another project starts from the defaults');
    assert.deepEqual(loadDraft(undefined, 'results', defaults, s), defaults, 'no project, no draft');
  });

  it('keeps only known fields of the right type', () => {
    const s = memoryStorage();
    s.setItem('lowbit.draft.1.results', JSON.stringify({ text: 5, nCtx: '128', types: 'Q8_0', extra: true }));
    assert.deepEqual(loadDraft(1, 'results', defaults, s), defaults);
    s.setItem('lowbit.draft.1.results', '{not json');
    assert.deepEqual(loadDraft(1, 'results', defaults, s), defaults);
  });

  it('patches another form and forgets a deleted project', () => {
    const s = memoryStorage();
    saveDraft(1, 'run', { type: 'Q4_0', out: '/x.gguf' }, s);
    patchDraft(1, 'run', { type: 'plan:3' }, s);
    assert.deepEqual(loadDraft(1, 'run', { type: '', out: '' }, s), { type: 'plan:3', out: '/x.gguf' });
    saveDraft(10, 'run', { type: 'Q8_0' }, s);
    dropDrafts(1, s);
    assert.equal(s.getItem('lowbit.draft.1.run'), null);
    assert.notEqual(s.getItem('lowbit.draft.10.run'), null, 'project 10 is not project 1');
  });
});

describe('plan budget', () => {
  const bounds = { minBpw: 4.513, maxBpw: 8.497, minBytes: 1000, maxBytes: 5000 };

  it('ranges over the plans that can be built, rounded inwards', () => {
    assert.deepEqual(budgetRange(bounds, 'bpw'), [4.52, 8.49]);
    assert.deepEqual(budgetRange(bounds, 'size'), [1000, 5000]);
  });

  it('moves an impossible budget to the nearest possible one', () => {
    assert.deepEqual(nearestBudget(2, bounds, 'bpw'), { value: 4.52, moved: true });
    assert.deepEqual(nearestBudget(30, bounds, 'bpw'), { value: 8.49, moved: true });
    assert.deepEqual(nearestBudget(6, bounds, 'bpw'), { value: 6, moved: false });
    assert.deepEqual(nearestBudget(Number.NaN, bounds, 'size'), { value: 1000, moved: true });
  });
});

describe('chart data', () => {
  it('uses one size unit, the largest value\'s', () => {
    const u = sizeUnit(3.5 * 1024 ** 2);
    assert.equal(u.name, 'MiB');
    assert.equal(inUnit(300 * 1024, u), '0.29 MiB');
    assert.equal(inUnit(3.5 * 1024 ** 2, u), '3.50 MiB');
    assert.equal(sizeUnit(500).name, 'B');
  });

  it('pads the axes so no point sits on the frame', () => {
    const lin = paddedRange([10, 20], false);
    assert.ok(lin.min < 10 && lin.max > 20);
    const one = paddedRange([7], false);
    assert.ok(one.min < 7 && one.max > 7, 'a single point gets room too');
    const log = paddedRange([1e-4, 1e-3], true);
    assert.ok(log.min < 1e-4 / 2 && log.max > 1e-3 * 2, 'a third of a decade each side at least');
  });

  it('finds the Pareto front', () => {
    const pts = [{ bytes: 3, kl: 0.1 }, { bytes: 1, kl: 0.5 }, { bytes: 2, kl: 0.6 }, { bytes: 4, kl: 0.05 }];
    assert.deepEqual(paretoFront(pts).map((p) => p.bytes), [1, 3, 4]);
  });
});

describe('output files', () => {
  it('asks before replacing an existing file, once', async () => {
    const exists = Object.assign(new Error('/x.gguf already exists: confirm to replace it (lowbit: --force), or choose another file'), { exists: true });
    const calls: boolean[] = [];
    const write = async (overwrite: boolean) => {
      calls.push(overwrite);
      if (!overwrite) throw exists;
      return 'written';
    };
    const questions: string[] = [];
    assert.equal(await confirmOverwrite('/x.gguf', write, (q) => (questions.push(q), true)), 'written');
    assert.deepEqual(calls, [false, true]);
    assert.deepEqual(questions, ['/x.gguf already exists. Replace it?']);
    calls.length = 0;
    await assert.rejects(confirmOverwrite('/x.gguf', write, () => false), /already exists/);
    assert.deepEqual(calls, [false], 'a refusal writes nothing');
    await assert.rejects(confirmOverwrite('/x.gguf', async () => { throw new Error('disk full'); }, () => assert.fail('not asked')), /disk full/);
  });

  it('recognises the refusal through Electron, where only the message survives', () => {
    assert.ok(outputExists(new Error("Error invoking remote method 'studio:call': Error: /x.gguf already exists: confirm to replace it (lowbit: --force), or choose another file")));
    assert.ok(!outputExists(new Error('no such file')));
    assert.ok(!outputExists(null));
  });

  it('joins a folder and a name with the folder\'s separator', () => {
    assert.equal(joinPath('/data/projects/3', 'm-Q4_0-rtn.gguf'), '/data/projects/3/m-Q4_0-rtn.gguf');
    assert.equal(joinPath('/data/projects/3/', 'm.gguf'), '/data/projects/3/m.gguf');
    assert.equal(joinPath('C:\\Users\\me\\projects\\3', 'm.gguf'), 'C:\\Users\\me\\projects\\3\\m.gguf');
  });
});
