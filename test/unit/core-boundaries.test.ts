// main/core is Electron-free (it runs under the CLI and web mode too), and the renderer reaches
// into main/ only through main/contract.
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
});
