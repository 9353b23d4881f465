// The golden files of tests/golden/out/ (what the engine printed for every lesson, oracle case,
// example scenario and capture when they were recorded) still match, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('every golden file matches what the engine prints now', () => {
  const script = fileURLToPath(new URL('../golden/golden.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /golden: [1-9][0-9]+ files compared, 0 differ/);
});
