// The Embind module as JavaScript sees it: its functions, its errors, its types file, and that
// it computes the same traces as the native command line.
//
// The module is the ES6 build for web/worker (web/src/generated/tcplab.mjs), so Node must hand it
// the .wasm bytes (wasmBinary): Node's fetch() cannot read file: URLs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const generatedDir = new URL('../../web/src/generated/', import.meta.url);

async function loadTcplab() {
    const mjs = new URL('tcplab.mjs', generatedDir);
    const wasm = new URL('tcplab.wasm', generatedDir);
    for (const f of [mjs, wasm]) {
        if (!existsSync(f)) {
            throw new Error(
                `${fileURLToPath(f)} is missing: build it first with \`cmake --workflow --preset wasm\``,
            );
        }
    }
    const { default: createTcplab } = await import(mjs.href);
    return createTcplab({ wasmBinary: readFileSync(wasm) });
}

let tcplab;
before(async () => {
    tcplab = await loadTcplab();
});

// A small complete scenario: a client connects to a listening server and closes.
const handshake = {
    tcplab: 1,
    title: '三次握手 / Three-way handshake',
    seed: 7,
    profile: 'linux',
    hosts: { client: { ip: '10.0.0.1' }, server: { ip: '10.0.0.2' } },
    link: { delay_ms: 1 },
    apps: [
        {
            name: 'srv',
            host: 'server',
            steps: [
                { call: 'socket', as: 'L' },
                { call: 'bind', sock: 'L', port: 80 },
                { call: 'listen', sock: 'L', backlog: 128 },
                { call: 'accept', sock: 'L', as: 'c' },
            ],
        },
        {
            name: 'cli',
            host: 'client',
            steps: [
                { at_ms: 10, call: 'socket', as: 's' },
                { call: 'connect', sock: 's', to: 'server:80' },
            ],
        },
    ],
    until_ms: 1000,
};

test('version() names the engine version', () => {
    assert.match(tcplab.version(), /^\d+\.\d+\.\d+/);
});

test('runScenario() returns the trace of a handshake as JSON text', () => {
    const text = tcplab.runScenario(JSON.stringify(handshake), 'handshake.json');
    assert.equal(typeof text, 'string');
    const trace = JSON.parse(text);
    assert.equal(trace.tcplab, 1);
    // Non-ASCII text survives the trip through UTF-8 in wasm memory.
    assert.equal(trace.title, handshake.title);
    assert.ok(Array.isArray(trace.events));
    const syn = trace.events.find((e) => e.kind === 'send' && e.host === 'client');
    assert.ok(syn, 'the client sends a segment');
    assert.deepEqual(syn.seg.flags, ['SYN']);
    const established = trace.events.filter((e) => e.kind === 'state' && e.to === 'ESTABLISHED');
    assert.deepEqual(established.map((e) => e.host).sort(), ['client', 'server']);
});

test('malformed JSON arrives in JS as an Error with the file name and byte offset', () => {
    assert.throws(
        () => tcplab.runScenario('{"tcplab": 1, "hosts": ', 'broken.json'),
        (e) => {
            assert.ok(e instanceof Error, `expected an Error, got ${Object.prototype.toString.call(e)}`);
            assert.match(e.message, /^broken\.json: .*\b2[34]\b/);
            return true;
        },
    );
});

test('a wrong field arrives in JS as an Error "<file>: <JSON pointer>: ..."', () => {
    const bad = structuredClone(handshake);
    bad.hosts.client.ip = 42;
    assert.throws(
        () => tcplab.runScenario(JSON.stringify(bad), 'wrong-ip.json'),
        (e) => {
            assert.ok(e instanceof Error);
            assert.match(e.message, /^wrong-ip\.json: \/hosts\/client\/ip: \S/);
            return true;
        },
    );
});

test('the module keeps working after an error', () => {
    for (let i = 0; i < 50; i++) {
        assert.throws(() => tcplab.runScenario('[', 'x.json'), Error);
    }
    const trace = JSON.parse(tcplab.runScenario(JSON.stringify(handshake), 'again.json'));
    assert.equal(trace.title, handshake.title);
});

// Renderers translate the trace's codes through the engine's catalogue; every code needs both
// languages.
const LANGS = ['en', 'zh-CN'];
function checkEntry(catalog, section, key, where) {
    const entry = catalog[section]?.[key];
    if (!entry) return `${where}: catalog.${section} has no ${JSON.stringify(key)}`;
    const missing = LANGS.filter((l) => typeof entry[l] !== 'string' || entry[l].trim() === '');
    return missing.length ? `${where}: catalog.${section}.${key} has no text in ${missing.join(', ')}` : null;
}

test('catalog() describes every TCP state in en and zh-CN', () => {
    const catalog = JSON.parse(tcplab.catalog());
    const states = ['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1',
        'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'];
    const problems = states.map((s) => checkEntry(catalog, 'states', s, 'catalog')).filter(Boolean);
    assert.deepEqual(problems, []);
});

test('catalog() covers every state, timer, errno, note and discard reason the lessons produce', () => {
    const catalog = JSON.parse(tcplab.catalog());
    const problems = new Set();
    let traces = 0;
    for (const file of inputs) {
        let trace;
        try {
            trace = JSON.parse(tcplab.runScenario(readFileSync(join(repoRoot, file), 'utf8'), file));
        } catch {
            continue; // invalid input is the determinism test's business
        }
        traces++;
        for (const e of trace.events) {
            const where = `${file} (${e.kind} at ${e.t_us} µs)`;
            const checks = [];
            if (e.kind === 'state') checks.push(['states', e.from], ['states', e.to]);
            if (e.kind === 'timer') checks.push(['timers', e.timer]);
            if (e.kind === 'return' && e.errno) checks.push(['errno', e.errno]);
            if (e.kind === 'note') checks.push(['notes', e.code]);
            if (e.kind === 'discard') checks.push(['discard', e.reason]);
            for (const [section, key] of checks) {
                const p = checkEntry(catalog, section, key, where);
                if (p) problems.add(p.replace(/^.*?: catalog/, `${file}: catalog`));
            }
        }
    }
    assert.ok(traces > 0, 'no lesson or scenario ran');
    assert.deepEqual([...problems].sort(), []);
});

// tcplab.d.mts is written by hand: keep it and the module in step, in both directions.
test('tcplab.d.mts declares exactly the functions the module exports, with their arity', () => {
    const dts = readFileSync(new URL('tcplab.d.mts', generatedDir), 'utf8');
    const body = dts.match(/export interface TcplabModule \{([\s\S]*?)\n\}/);
    assert.ok(body, 'tcplab.d.mts has an interface TcplabModule');
    const declared = new Map();
    for (const m of body[1].matchAll(/^\s*(\w+)\??\(([^)]*)\)\s*:/gm)) {
        const params = m[2].trim() === '' ? 0 : m[2].split(',').length;
        declared.set(m[1], params);
    }
    // Embind marks the functions it exposes with their JS argument count.
    const exported = new Map(
        Object.keys(tcplab)
            .filter((k) => typeof tcplab[k] === 'function' && typeof tcplab[k].argCount === 'number')
            .map((k) => [k, tcplab[k].argCount]),
    );
    assert.deepEqual(
        [...declared.keys()].sort(),
        [...exported.keys()].sort(),
        'functions in tcplab.d.mts vs functions bound in wasm/*.cpp',
    );
    for (const [name, argc] of exported) {
        assert.equal(declared.get(name), argc, `${name}: parameters declared vs bound`);
    }
});

// ---- Determinism ----------------------------------------------------------------------------
// For every scenario in tests/scenarios/ and every lesson in lessons/, the trace from wasm equals
// `build/native/cli/tcplab run --json FILE` byte for byte (an invalid file gives the same message).
const run = promisify(execFile);
const cli = process.env.TCPLAB_CLI ?? join(repoRoot, 'build/native/cli/tcplab');

function jsonFiles(dir) {
    const abs = join(repoRoot, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => relative(repoRoot, join(abs, f)));
}
// A lesson file has a top-level "tcplab_lesson" member; lessons/ also holds an index and
// a schema.
const isLesson = (file) => {
    try {
        return 'tcplab_lesson' in JSON.parse(readFileSync(join(repoRoot, file), 'utf8'));
    } catch {
        return true; // unreadable JSON: let the test report it
    }
};

const inputs = [
    ...jsonFiles('tests/scenarios'),
    ...jsonFiles('lessons').filter(isLesson),
];

const skip = existsSync(cli)
    ? false
    : `${cli} is missing: build it with \`cmake --workflow --preset native\` (scripts/test does)`;

test('there are scenarios and lessons to compare', { skip }, () => {
    assert.ok(inputs.length > 0, 'no files in tests/scenarios/*.json or lessons/*.json');
});

for (const file of inputs) {
    test(`wasm trace == tcplab run --json: ${file}`, { skip }, async () => {
        const text = readFileSync(join(repoRoot, file), 'utf8');
        let wasmTrace;
        let wasmError;
        try {
            wasmTrace = tcplab.runScenario(text, file);
        } catch (e) {
            wasmError = e;
        }
        let native;
        try {
            native = await run(cli, ['run', '--json', file], {
                cwd: repoRoot,
                encoding: 'buffer',
                maxBuffer: 1 << 30,
            });
        } catch (e) {
            if (e.code !== 2) throw e;
            // Invalid input: both sides must say so, with the same message.
            assert.ok(wasmError, `the CLI rejected ${file} (exit 2) but wasm ran it`);
            assert.ok(
                e.stderr.toString('utf8').includes(wasmError.message),
                `CLI stderr:\n${e.stderr}\nwasm error:\n${wasmError.message}`,
            );
            return;
        }
        if (wasmError) throw wasmError;
        // The CLI ends its output with one newline; everything before it must match exactly.
        const expected = native.stdout;
        const actual = Buffer.from(`${wasmTrace}\n`, 'utf8');
        if (!actual.equals(expected)) {
            let i = 0;
            while (i < actual.length && actual[i] === expected[i]) i++;
            assert.fail(
                `${file}: traces differ at byte ${i} (wasm ${actual.length} bytes, native ` +
                    `${expected.length} bytes)\n` +
                    `wasm:   …${actual.subarray(Math.max(0, i - 80), i + 80).toString('utf8')}\n` +
                    `native: …${expected.subarray(Math.max(0, i - 80), i + 80).toString('utf8')}`,
            );
        }
    });
}
