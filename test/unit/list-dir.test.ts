// Web mode's file browser: one folder's subfolders and importable models, nothing else.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { validateCall } from '../../main/contract/validate.js';
import { listDir } from '../../main/core/studio/list-dir.js';

describe('listDir', () => {
  it('lists subfolders, GGUF and llama2.c files and Hugging Face folders, folders first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-listdir-'));
    fs.mkdirSync(path.join(dir, 'zoo'));
    fs.mkdirSync(path.join(dir, 'hf-model'));
    fs.writeFileSync(path.join(dir, 'hf-model', 'config.json'), '{}');
    fs.writeFileSync(path.join(dir, 'hf-model', 'model.safetensors'), '');
    fs.mkdirSync(path.join(dir, 'only-config'));
    fs.writeFileSync(path.join(dir, 'only-config', 'config.json'), '{}');
    fs.mkdirSync(path.join(dir, '.hidden'));
    for (const f of ['b.gguf', 'A.GGUF', 'stories.bin', 'notes.txt', '.secret.gguf']) fs.writeFileSync(path.join(dir, f), '');
    fs.symlinkSync(path.join(dir, 'b.gguf'), path.join(dir, 'link.gguf'));
    fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'dangling.gguf'));
    const l = listDir(dir + '/');
    assert.equal(l.path, dir);
    assert.equal(l.parent, path.dirname(dir));
    assert.deepEqual(
      l.entries.map((e) => [e.name, e.kind]),
      [['only-config', 'dir'], ['zoo', 'dir'], ['A.GGUF', 'gguf'], ['b.gguf', 'gguf'], ['hf-model', 'hf'], ['link.gguf', 'gguf'], ['stories.bin', 'bin']],
    );
    assert.equal(l.entries.find((e) => e.name === 'zoo')!.path, path.join(dir, 'zoo'));
    assert.equal(listDir('/').parent, null);
    assert.throws(() => listDir(path.join(dir, 'b.gguf')), /is not a folder/);
    assert.throws(() => listDir(path.join(dir, 'nope')), /no such folder/);
    assert.throws(() => listDir('relative/path'), /absolute folder path/);
    fs.rmSync(dir, { recursive: true });
  });

  it('takes only absolute paths over the API', () => {
    assert.throws(() => validateCall('listDir', ['models']), /absolute folder path/);
    assert.throws(() => validateCall('listDir', ['/a\0b']), /absolute folder path/);
    assert.deepEqual(validateCall('listDir', ['/models']).args, ['/models']);
  });
});
