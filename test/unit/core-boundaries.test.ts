// main/core is Electron-free (it runs under the CLI and web mode too), the renderer reaches
// into main/ only through main/contract, and no folder of main/ depends on itself through others.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { repoRoot } from '../helpers/shared.js';

function files(dir: string, ext: RegExp): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, ext) : ext.test(e.name) ? [p] : [];
  });
}

describe('module boundaries', () => {
  it('main/core never imports electron', () => {
    for (const f of files(path.join(repoRoot, 'main', 'core'), /\.ts$/))
      assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /from ['"]electron['"]|require\(['"]electron['"]\)/, f);
  });

  it('the renderer imports from main/ only its contract', () => {
    for (const f of files(path.join(repoRoot, 'renderer', 'src'), /\.(ts|svelte)$/))
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/from ['"]([^'"]+)['"]/g))
        if (m[1].includes('/main/')) assert.match(m[1], /\/main\/contract\//, `${f} imports ${m[1]}`);
  });

  it('no import cycle among the folders of main/ (type-only imports count)', () => {
    const cycles = folderCycles(importGraph(path.join(repoRoot, 'main')));
    assert.deepEqual(cycles, [], cycles.map((c) => c.join(' → ')).join('\n'));
  });

  it('the cycle finder finds cycles', () => {
    const g = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
    assert.deepEqual(folderCycles(g).map((c) => [...c].sort()), [['a', 'b', 'c']]);
  });
});

/** folder → the folders its files import from (relative imports, static, dynamic and type-only). */
function importGraph(root: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const f of files(root, /\.c?ts$/)) {
    const from = path.relative(root, path.dirname(f));
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      const to = path.relative(root, path.dirname(path.resolve(path.dirname(f), m[1])));
      if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

/** The strongly connected components with more than one folder (Tarjan). */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
