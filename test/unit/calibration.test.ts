import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { assertDisjoint, sampleCalibration } from '../../main/core/calibration/sample.js';
import { loadText, parseTextSource } from '../../main/core/calibration/text-source.js';
import type { Tokenizer } from '../../main/core/tokenizer/types.js';

// A character tokenizer is enough to test sampling; real tokenizers have their own tests.
const chars: Tokenizer = {
  kind: 'spm',
  vocabSize: 256,
  bos: 1,
  eos: 2,
  addBos: true,
  encode: (text, o) => [...(o?.addBos === false ? [] : [1]), ...[...Buffer.from(text)].map((b) => b)],
  decode: (ids) => Buffer.from(ids.filter((i) => i > 2)).toString(),
};

const tmp = (name: string, content: string) => {
  const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-cal-')), name);
  fs.writeFileSync(p, content);
  return p;
};

describe('calibration sets', () => {
  it('draw reproducible BOS-led windows from the text', () => {
    const text = loadText({ path: tmp('a.txt', 'abcdefghijklmnopqrstuvwxyz'.repeat(20)) });
    const a = sampleCalibration(text, chars, { sequences: 4, length: 8, seed: 7 });
    const b = sampleCalibration(text, chars, { sequences: 4, length: 8, seed: 7 });
    const c = sampleCalibration(text, chars, { sequences: 4, length: 8, seed: 8 });
    assert.deepEqual(a.tokens, b.tokens);
    assert.notDeepEqual(a.tokens, c.tokens);
    for (let s = 0; s < 4; s++) {
      const row = [...a.tokens.subarray(s * 8, s * 8 + 8)];
      assert.equal(row[0], 1);
      // consecutive letters: every window is a real slice of the text
      for (let i = 2; i < 8; i++) assert.equal((row[i] - 97 + 26) % 26, (row[i - 1] - 97 + 1) % 26);
    }
    assert.equal(a.sha256.length, 64);
  });

  it('reads .jsonl text fields and byte ranges, with clear errors', () => {
    const p = tmp('d.jsonl', '{"text":"hello"}\n{"text":"world"}\n');
    assert.equal(loadText({ path: p }).text, 'hello\n\nworld');
    const bad = tmp('e.jsonl', '{"text":"ok"}\n{"txt":1}\n');
    assert.throws(() => loadText({ path: bad }), /e\.jsonl:2: no "text" string field/);
    const src = parseTextSource(`${tmp('f.txt', '0123456789')}@2:5`);
    assert.equal(loadText(src).text, '234');
    assert.throws(() => sampleCalibration(loadText({ path: tmp('g.txt', 'ab') }), chars, { sequences: 1, length: 16, seed: 0 }), /fewer than one calibration sequence/);
  });

  it('keeps calibration and evaluation text apart', () => {
    assert.throws(() => assertDisjoint({ path: 'x.txt' }, { path: 'x.txt', start: 0, end: 100 }), /overlaps evaluation text/);
    assert.doesNotThrow(() => assertDisjoint({ path: 'x.txt', start: 100 }, { path: 'x.txt', start: 0, end: 100 }));
    assert.doesNotThrow(() => assertDisjoint({ path: 'x.txt' }, { path: 'y.txt' }));
  });
});
