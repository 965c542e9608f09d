// SIMD levels in tests: a test that compares a SIMD path with the reference must run that path, so a
// level the CPU cannot run is skipped with a message, never compared silently at a lower level.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

import { native, type SimdLevelName } from '../../main/engine/native.js';

/** The SIMD levels above scalar, each compared with the scalar reference where the CPU runs it. */
export const SIMD_LEVELS: readonly SimdLevelName[] = ['avx2', 'avx512'];

/** The level in force when the test file started, to restore in an after() hook. */
export const initialLevel = native().simdLevel();

/** Sets `level` and returns true, or skips the test `t` (returning false) when the CPU cannot run it. */
export function useSimdLevel(t: TestContext, level: SimdLevelName): boolean {
  const set = native().testing.setSimdLevel(level);
  if (set === level) return true;
  assert.notEqual(level, 'scalar', 'the scalar reference can always be chosen');
  t.skip(`the CPU cannot run ${level} (setSimdLevel('${level}') gave '${set}')`);
  return false;
}

/** Sets the scalar reference path (always available). */
export function useScalar(): void {
  assert.equal(native().testing.setSimdLevel('scalar'), 'scalar');
}
