// Native and WebAssembly engines compute the same bytes: for every lesson (its trace, and the
// whole resolved lesson), every recorded Linux scenario, a sample of seeded random fault
// schedules, and bad inputs (the same message on both sides). The native side is
// `tcplab run --json` / `tcplab lesson --json` (build/native/cli/tcplab, or TCPLAB_CLI).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const generatedDir = new URL('../../web/src/generated/', import.meta.url);
const cli = process.env.TCPLAB_CLI ?? join(repoRoot, 'build/native/cli/tcplab');
const run = promisify(execFile);

let tcplab;
before(async () => {
    const mjs = new URL('tcplab.mjs', generatedDir);
    const wasm = new URL('tcplab.wasm', generatedDir);
    for (const f of [mjs, wasm])
        assert.ok(existsSync(f), `${fileURLToPath(f)} is missing: build it with \`cmake --workflow --preset wasm\``);
    const { default: createTcplab } = await import(mjs.href);
    tcplab = await createTcplab({ wasmBinary: readFileSync(wasm) });
});


// Runs the native command; returns { out: Buffer } or { error: stderr text } for exit 2.
async function native(args) {
    try {
        const r = await run(cli, args, { cwd: repoRoot, encoding: 'buffer', maxBuffer: 1 << 30 });
        return { out: r.stdout };
    } catch (e) {
        if (e.code !== 2) throw e;
        return { error: e.stderr.toString('utf8') };
    }
}

function wasmCall(fn) {
    try {
        return { out: Buffer.from(`${fn()}\n`, 'utf8') };
    } catch (e) {
        assert.ok(e instanceof Error, `wasm threw ${Object.prototype.toString.call(e)}, not an Error`);
        return { error: `${e.message}\n` };
    }
}

function assertSame(file, w, n) {
    if (n.error !== undefined || w.error !== undefined) {
        assert.equal(w.error, n.error, `${file}: wasm and native disagree on the error`);
        return;
    }
    if (!w.out.equals(n.out)) {
        let i = 0;
        while (i < w.out.length && w.out[i] === n.out[i]) i++;
        assert.fail(
            `${file}: outputs differ at byte ${i} (wasm ${w.out.length} bytes, native ${n.out.length})\n` +
                `wasm:   …${w.out.subarray(Math.max(0, i - 80), i + 80).toString('utf8')}\n` +
                `native: …${n.out.subarray(Math.max(0, i - 80), i + 80).toString('utf8')}`,
        );
    }
}

const jsonFiles = (dir) =>
    existsSync(join(repoRoot, dir))
        ? readdirSync(join(repoRoot, dir))
              .filter((f) => f.endsWith('.json'))
              .sort()
              .map((f) => relative(repoRoot, join(repoRoot, dir, f)))
        : [];
const isLesson = (file) => {
    try {
        return 'tcplab_lesson' in JSON.parse(readFileSync(join(repoRoot, file), 'utf8'));
    } catch {
        return true;
    }
};
const lessons = jsonFiles('lessons').filter(isLesson);
const scenarios = jsonFiles('tests/scenarios');
const linuxDir = join(repoRoot, 'tests/data/linux');
const linuxScenarios = existsSync(linuxDir)
    ? readdirSync(linuxDir)
          .sort()
          .map((d) => `tests/data/linux/${d}/scenario.json`)
          .filter((f) => existsSync(join(repoRoot, f)))
    : [];

// ---- seeded random fault schedules ------------------------------------------------------------

// mulberry32: a small PRNG with a 32-bit seed, so each schedule is reproducible from its number.
function rng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

// Several hosts, a server on each, clients anywhere, a second thread polling each listener,
// loss, duplication, reordering, jitter, and sometimes a crash, reboot or pulled cable.
function randomSchedule(seed) {
    const r = rng(seed);
    const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
    const pick = (xs) => xs[int(0, xs.length - 1)];
    const nh = int(2, 4);
    const hosts = {};
    for (let i = 0; i < nh; i++) hosts[`h${i}`] = { sysctl: { msl_ms: 500, tcp_syn_retries: 2, tcp_fin_timeout: 2 } };
    const apps = [];
    for (let i = 0; i < nh; i++) {
        apps.push({
            name: `srv${i}`,
            host: `h${i}`,
            sigpipe: 'ignore',
            steps: [
                { call: 'socket', as: 'L' },
                { call: 'bind', sock: 'L', port: 80 },
                { call: 'listen', sock: 'L', backlog: int(0, 3) },
                { call: 'accept', sock: 'L', as: 'c', repeat: int(1, 3) },
                { call: 'recv', sock: 'c', max: int(1, 50), repeat: 'until_eof' },
                { call: 'close', sock: 'c' },
            ],
        });
        if (r() < 0.6)
            apps.push({
                name: `poll${i}`,
                host: `h${i}`,
                sigpipe: pick(['ignore', 'default']),
                steps: [
                    { call: 'poll', sock: 'L', events: ['in'], timeout_ms: pick([-1, 0, 50, 500]), after_ms: int(0, 20) },
                    { call: 'accept', sock: 'L', as: `d${i}` },
                    { call: 'send', sock: `d${i}`, text: 'x'.repeat(int(1, 3000)) },
                    { call: 'close', sock: `d${i}` },
                ],
            });
    }
    const clients = int(1, 8);
    for (let k = 0; k < clients; k++) {
        const to = int(0, nh - 1);
        const steps = [
            { call: 'socket', as: 's', at_ms: int(0, 100) },
            { call: 'connect', sock: 's', to: `h${to}:80` },
            { call: 'send', sock: 's', bytes: int(0, 5000), nosignal: r() < 0.5 },
        ];
        if (r() < 0.5) steps.push({ call: 'shutdown', sock: 's', how: 'wr' });
        if (r() < 0.5) steps.push({ call: 'recv', sock: 's', max: 100, repeat: 'until_eof' });
        steps.push({ call: 'close', sock: 's', after_ms: int(0, 50) });
        apps.push({ name: `c${k}`, host: `h${int(0, nh - 1)}`, sigpipe: pick(['ignore', 'default']), steps });
    }
    const link = { delay_ms: int(1, 10), loss: pick([0, 0.05, 0.2]), duplicate: pick([0, 0.05]), reorder: pick([0, 0.1]), jitter_ms: pick([0, 3]) };
    const events = r() < 0.3 ? [{ at_ms: int(50, 3000), action: pick(['crash', 'reboot', 'unplug']), host: `h${int(0, nh - 1)}` }] : [];
    return { tcplab: 1, title: `random schedule ${seed}`, seed, hosts, link, apps, events, until_ms: 20000 };
}

const SCHEDULES = Number(process.env.TCPLAB_PARITY_SCHEDULES ?? 40);
const scratch = mkdtempSync(join(tmpdir(), 'tcplab-parity-'));

// ---- the comparisons ------------------------------------------------------------------------

test('there is something to compare', () => {
    // Without the native CLI every comparison below fails; say why once, plainly.
    assert.ok(existsSync(cli), `${cli} is missing: build it with \`cmake --workflow --preset native\``);
    assert.ok(lessons.length >= 20, `only ${lessons.length} lessons`);
    assert.ok(scenarios.length > 0, 'no tests/scenarios/*.json');
    assert.ok(linuxScenarios.length > 0, 'no tests/data/linux/*/scenario.json');
});

for (const file of [...lessons, ...scenarios, ...linuxScenarios]) {
    test(`trace: wasm runScenario == tcplab run --json: ${file}`, async () => {
        const text = readFileSync(join(repoRoot, file), 'utf8');
        assertSame(file, wasmCall(() => tcplab.runScenario(text, file)), await native(['run', '--json', file]));
    });
}

for (const file of lessons) {
    test(`resolved lesson: wasm resolveLesson == tcplab lesson --json: ${file}`, async () => {
        const text = readFileSync(join(repoRoot, file), 'utf8');
        assertSame(file, wasmCall(() => tcplab.resolveLesson(text, file, '')), await native(['lesson', '--json', file]));
    });
}

test(`${SCHEDULES} seeded random fault schedules give the same trace in wasm and natively`, async () => {
    let compared = 0;
    let withDrops = 0;
    for (let seed = 1; seed <= SCHEDULES; seed++) {
        const file = join(scratch, `schedule-${seed}.json`);
        const text = JSON.stringify(randomSchedule(seed));
        writeFileSync(file, text);
        const w = wasmCall(() => tcplab.runScenario(text, file));
        assertSame(`schedule ${seed}`, w, await native(['run', '--json', file]));
        if (w.out?.includes('"kind":"drop"')) withDrops++;
        compared++;
    }
    assert.equal(compared, SCHEDULES);
    // The sample does exercise the network's faults.
    assert.ok(withDrops > SCHEDULES / 4, `only ${withDrops} of ${SCHEDULES} schedules dropped a segment`);
});

// Bad input: the same InputError text from both, through the same front door.
const handshake = readFileSync(join(repoRoot, 'tests/cli/fixtures/handshake.json'), 'utf8');
const badInputs = {
    'number-overflow': handshake.replace('"seed": 7', '"seed": 1e400'),
    'deep': `{"tcplab":1,"notes":${'['.repeat(5000)}${']'.repeat(5000)},"hosts":{"a":{}}}`,
    'no-ip': '{"tcplab":1,"hosts":{"a":{"ip":"10.0.0.2"},"b":{}}}',
    'sysctl-huge': handshake.replace('"tcp_fin_timeout": 3', '"tcp_fin_timeout": 1e300'),
    'backlog-wrap': handshake.replace('"backlog": 128', '"backlog": 18446744073709551615'),
    'nul-name': handshake.replace('"name": "srv"', '"name": "s\\u0000rv"'),
    'handle-early': handshake.replace('{ "at_ms": 10, "call": "socket", "as": "s" }', '{ "call": "close", "sock": "s" }, { "at_ms": 10, "call": "socket", "as": "s" }'),
    'trailing-junk': `${handshake} x`,
};

for (const [name, text] of Object.entries(badInputs)) {
    test(`bad input gives the same message in wasm and natively: ${name}`, async () => {
        const file = join(scratch, `${name}.json`);
        writeFileSync(file, text);
        const w = wasmCall(() => tcplab.runScenario(text, file));
        assert.ok(w.error, `${name}: wasm accepted it`);
        assert.doesNotMatch(w.error, /internal error/);
        assertSame(name, w, await native(['run', '--json', file]));
    });
}

test('a lesson text nested too deep is refused by resolveLesson with the byte, not a crash', () => {
    const text = `{"tcplab_lesson":1,"x":${'['.repeat(100000)}${']'.repeat(100000)}}`;
    const w = wasmCall(() => tcplab.resolveLesson(text, 'deep.json', ''));
    assert.match(w.error ?? '', /^deep\.json: byte 87: .*limit "nesting depth"/);
    const o = wasmCall(() => tcplab.resolveLesson(handshake, 'x.json', '{"seed": 1e400}'));
    assert.match(o.error ?? '', /^options: byte \d+: /);
});
