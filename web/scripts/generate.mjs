// Writes what the player derives from the engine at build time into src/generated/ (gitignored):
//
//   trace.ts                 TypeScript types of the trace, from core/schema/trace.schema.json
//                            (json-schema-to-typescript); the schema stays the one contract.
//   examples/NAME.trace.json the traces of a few lessons' scenarios as the engine computes them:
//                            the player's plain "example" runs and its tests' data.
//
// Run by the Vite plugin in vite.config.ts (vite build, vite dev, vitest), by npm's postinstall
// (types only: the engine is not built yet then) and by `npm run typecheck`.
//
//   node scripts/generate.mjs [--types-only]
//
// The examples come from the WebAssembly module (src/generated/tcplab.mjs, the one the page
// runs), else from a native command line (TCPLAB_BIN, or build/{dev,native,release}/cli/tcplab).
// With neither built, generating the examples fails and says how to build one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const generated = join(web, 'src', 'generated');

/** The lessons whose runs are the player's examples: a plain handshake and close, a lost
 *  segment and its retransmission, a crash answered by a RST, a write after the peer closed
 *  (RST, EPIPE, SIGPIPE). */
export const EXAMPLE_LESSONS = ['handshake-close', 'time-wait', 'crash-reboot', 'write-after-close'];

/** Writes `text` to `file` unless it already holds it (so a dev server does not reload for nothing). */
function writeIfChanged(file, text) {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return false;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return true;
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** The schema in the shape the generator turns into good types. JSON Schema says "an event of
 *  kind K has the shape $defs/K" with if/then, which TypeScript cannot express; the same
 *  statement as a oneOf over those shapes becomes a discriminated union on `kind`. */
export function forTypes(schema) {
  const s = structuredClone(schema);
  const defs = s.$defs;
  const kinds = [];
  for (const rule of defs.event.allOf ?? []) {
    const kind = rule?.if?.properties?.kind?.const;
    const ref = rule?.then?.$ref;
    if (typeof kind !== 'string' || typeof ref !== 'string') throw new Error(`trace.schema.json: $defs/event: an allOf rule that is not "if kind then $ref": ${JSON.stringify(rule)}`);
    kinds.push({ kind, ref });
  }
  defs.event = { description: defs.event.description, oneOf: kinds.map((k) => ({ $ref: k.ref })) };
  for (const { kind, ref } of kinds) {
    const def = defs[ref.replace('#/$defs/', '')];
    def.title = `${cap(kind)}Event`;
    // Conditions between members (a timer's expiry is required when it is set) stay checks.
    delete def.if; delete def.then; delete def.else;
  }
  const names = { segment: 'Segment', state_name: 'StateName', flags: 'Flags' };
  for (const [k, title] of Object.entries(names)) if (defs[k]) defs[k].title = title;
  // Plain strings and numbers (times, addresses) are written in place: a type alias per use
  // (Microseconds1, Endpoint2, ...) says nothing a reader needs.
  const plain = new Set(Object.keys(defs).filter((k) => ['string', 'integer', 'number'].includes(defs[k].type) && !defs[k].enum));
  const inline = (x) => {
    if (Array.isArray(x)) { x.forEach(inline); return; }
    if (typeof x !== 'object' || x === null) return;
    const m = typeof x.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(x.$ref) : null;
    if (m && plain.has(m[1])) {
      const rest = { ...x };
      delete rest.$ref;
      Object.assign(x, { ...defs[m[1]], ...rest });
      delete x.$ref;
    }
    for (const v of Object.values(x)) inline(v);
  };
  inline(s.properties);
  for (const k of Object.keys(defs)) if (!plain.has(k)) inline(defs[k]);
  for (const k of plain) delete defs[k];
  // Draft 2020-12 tuples (prefixItems) in the draft-07 spelling the generator reads.
  const walk = (x) => {
    if (Array.isArray(x)) { x.forEach(walk); return; }
    if (typeof x !== 'object' || x === null) return;
    if (Array.isArray(x.prefixItems)) {
      x.items = x.prefixItems; delete x.prefixItems;
      x.additionalItems = false;
    }
    for (const v of Object.values(x)) walk(v);
  };
  walk(s);
  s.definitions = defs;
  delete s.$defs;
  const refs = (x) => {
    if (Array.isArray(x)) { x.forEach(refs); return; }
    if (typeof x !== 'object' || x === null) return;
    if (typeof x.$ref === 'string') x.$ref = x.$ref.replace('#/$defs/', '#/definitions/');
    for (const v of Object.values(x)) refs(v);
  };
  refs(s);
  s.title = 'Trace';
  delete s.$id;
  return s;
}

export async function generateTypes() {
  const { compile } = await import('json-schema-to-typescript');
  const schemaFile = join(root, 'core', 'schema', 'trace.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const ts = await compile(forTypes(schema), 'Trace', {
    bannerComment: '// Generated from core/schema/trace.schema.json by web/scripts/generate.mjs. Do not edit.',
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    additionalProperties: false,
    unknownAny: true,
    format: false,
  });
  return writeIfChanged(join(generated, 'trace.ts'), ts);
}

/** A way to run a scenario: (lesson file text, file name) -> trace JSON text. */
async function findEngine() {
  const mjs = join(generated, 'tcplab.mjs');
  const wasm = join(generated, 'tcplab.wasm');
  if (existsSync(mjs) && existsSync(wasm)) {
    const { default: create } = await import(pathToFileURL(mjs).href);
    const mod = await create({ wasmBinary: readFileSync(wasm) });
    return { name: 'src/generated/tcplab.wasm', run: (text, file) => mod.runScenario(text, file) };
  }
  const candidates = [process.env.TCPLAB_BIN, ...['dev', 'native', 'release'].map((p) => join(root, 'build', p, 'cli', 'tcplab'))];
  const bin = candidates.find((c) => c && existsSync(c));
  if (bin) return { name: bin, run: (_text, file) => execFileSync(bin, ['run', '--json', file], { encoding: 'utf8', maxBuffer: 1 << 28 }) };
  return undefined;
}

export async function generateExamples() {
  const engine = await findEngine();
  if (!engine) {
    throw new Error('no engine to compute the example traces with: build the WebAssembly module first ' +
      '(`cmake --workflow --preset wasm` in the repository root), or set TCPLAB_BIN to a built tcplab command line');
  }
  const dir = join(generated, 'examples');
  const wanted = new Set(EXAMPLE_LESSONS.map((n) => `${n}.trace.json`));
  let changed = false;
  for (const name of EXAMPLE_LESSONS) {
    const file = join(root, 'lessons', `${name}.json`);
    const text = readFileSync(file, 'utf8');
    const trace = JSON.parse(engine.run(text, `lessons/${name}.json`));
    changed = writeIfChanged(join(dir, `${name}.trace.json`), `${JSON.stringify(trace, null, 1)}\n`) || changed;
  }
  for (const f of existsSync(dir) ? readdirSync(dir) : []) if (!wanted.has(f)) { rmSync(join(dir, f)); changed = true; }
  return { engine: engine.name, changed };
}

export async function generate({ typesOnly = false } = {}) {
  await generateTypes();
  if (!typesOnly) await generateExamples();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generate({ typesOnly: process.argv.includes('--types-only') }).catch((e) => {
    console.error(`generate: ${e.message}`);
    process.exit(1);
  });
}
