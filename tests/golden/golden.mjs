#!/usr/bin/env node
// Golden files: what the engine produces today for every lesson, every recorded Linux oracle
// case, every example scenario and every capture in the repository, so that a change meant to
// keep behaviour can prove it did. A difference is either a bug or an intended change; an
// intended change is made by re-running with --update and listing it in the commit message.
//
//   node tests/golden/golden.mjs            compare; exit 1 on the first file that differs
//   node tests/golden/golden.mjs --update   rewrite tests/golden/out/ from the current build
//
// TCPLAB_BIN picks the CLI (default build/release/cli/tcplab, else build/native/cli/tcplab).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'tests', 'golden', 'out');
const bin = process.env.TCPLAB_BIN ??
  [join(root, 'build/release/cli/tcplab'), join(root, 'build/native/cli/tcplab')].find(existsSync);
if (!bin || !existsSync(bin)) {
  console.error('golden: no tcplab binary (build the release or native preset, or set TCPLAB_BIN)');
  process.exit(2);
}

const run = (args) => execFileSync(bin, args, { cwd: root, maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const runBytes = (args) => execFileSync(bin, args, { cwd: root, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
const list = (dir, re) => readdirSync(join(root, dir)).filter((f) => re.test(f)).sort().map((f) => join(dir, f));

// Every input with the commands whose output must not change. Each must exist and be non-empty:
// a golden set that silently shrinks would prove nothing.
function cases() {
  const c = [];
  const lessons = list('lessons', /\.json$/).filter((f) => !/(index|schema)\.json$/.test(f));
  const scenarios = list('tests/scenarios', /\.json$/);
  const oracle = readdirSync(join(root, 'tests/data/linux')).sort()
    .filter((d) => existsSync(join(root, 'tests/data/linux', d, 'scenario.json')));
  const captures = list('tests/capture/data', /\.(pcap|pcapng)$/);
  if (lessons.length < 20 || oracle.length < 20 || captures.length < 10 || scenarios.length < 1) {
    throw new Error(`golden: too few inputs (lessons ${lessons.length}, oracle ${oracle.length}, captures ${captures.length})`);
  }
  for (const f of lessons) {
    const n = basename(f, '.json');
    c.push({ name: `lesson/${n}.trace.json`, get: () => run(['run', '--json', f]) });
    c.push({ name: `lesson/${n}.resolved.json`, get: () => run(['lesson', '--json', '--lang', 'both', f]) });
    c.push({ name: `lesson/${n}.seed7.resolved.json`, get: () => run(['lesson', '--json', '--lang', 'both', '--seed', '7', f]) });
    c.push({ name: `lesson/${n}.ladder.txt`, get: () => run(['run', f]) });
    c.push({ name: `lesson/${n}.pcapng.sha256`, get: () => pcapHash(f) });
  }
  for (const f of scenarios) c.push({ name: `scenario/${basename(f, '.json')}.trace.json`, get: () => run(['run', '--json', f]) });
  for (const d of oracle) {
    c.push({ name: `oracle/${d}.trace.json`, get: () => run(['run', '--json', `tests/data/linux/${d}/scenario.json`]) });
    c.push({ name: `oracle/${d}.explain.json`, get: () => run(['explain', '--json', `tests/data/linux/${d}/capture.pcap`]) });
  }
  for (const f of captures) {
    c.push({ name: `capture/${basename(f)}.explain.json`, get: () => explainOrError(f) });
    c.push({ name: `capture/${basename(f)}.explain.txt`, get: () => explainOrError(f, false) });
  }
  return c;
}

function explainOrError(f, json = true) {
  try {
    return run(json ? ['explain', '--json', f] : ['explain', f]);
  } catch (e) {
    // A damaged capture's error message and exit status are behaviour too.
    return `exit ${e.status}\n${e.stderr}`;
  }
}

function pcapHash(f) {
  const tmp = join(tmpdir(), `golden-${process.pid}-${basename(f)}.pcapng`);
  try {
    runBytes(['pcap', f, '-o', tmp]);
    return createHash('sha256').update(readFileSync(tmp)).digest('hex') + '\n';
  } finally {
    rmSync(tmp, { force: true });
  }
}

const update = process.argv.includes('--update');
let differ = 0, compared = 0;
for (const c of cases()) {
  const got = c.get();
  if (got.length === 0) throw new Error(`golden: ${c.name}: the command printed nothing`);
  const path = join(out, c.name);
  if (update) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, got);
    continue;
  }
  if (!existsSync(path)) {
    console.error(`golden: ${c.name}: no golden file (run with --update and commit it)`);
    differ++;
    continue;
  }
  compared++;
  if (readFileSync(path, 'utf8') !== got) {
    console.error(`golden: ${c.name}: differs from tests/golden/out/${c.name}`);
    differ++;
  }
}
if (update) console.log(`golden: wrote ${out}`);
else {
  console.log(`golden: ${compared} files compared, ${differ} differ`);
  if (differ > 0 || compared === 0) process.exit(1);
}
