// The capture functions of the Embind module as the page calls them: readCaptureJson and
// readCaptureInfo are the engine's reader (the page's only one, run in its capture worker),
// writeCapture is the export `tcplab pcap` runs (the same bytes for the same lesson and options),
// captureHosts gives its default capture point, explainCapture reads one interface of a
// multi-interface file.
//
// Needs the wasm build (web/src/generated/) and the native CLI (build/native/cli/tcplab, or
// TCPLAB_BIN) to compare with; either missing is a failure.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { repeatCapture } from '../bench/big-capture.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const generated = join(root, 'web/src/generated');
const BIN = process.env.TCPLAB_BIN || join(root, 'build/native/cli/tcplab');
const DATA = join(root, 'tests/capture/data');

let tcplab;
before(async () => {
    for (const f of [join(generated, 'tcplab.mjs'), join(generated, 'tcplab.wasm'), BIN])
        assert.ok(existsSync(f), `${f} is missing: build it first (cmake --build --preset wasm / native)`);
    const { default: create } = await import(join(generated, 'tcplab.mjs'));
    tcplab = await create({ wasmBinary: readFileSync(join(generated, 'tcplab.wasm')) });
});

const cli = (...args) => execFileSync(BIN, args, { cwd: root, maxBuffer: 1 << 28 });
const lessons = () =>
    readdirSync(join(root, 'lessons'))
        .filter((f) => f.endsWith('.json') && f !== 'index.json' && f !== 'schema.json')
        .map((f) => f.slice(0, -5))
        .sort();

// What the page holds for a lesson: the resolved lesson (resolveLesson with no options).
function resolved(id) {
    const text = readFileSync(join(root, 'lessons', `${id}.json`), 'utf8');
    return JSON.parse(tcplab.resolveLesson(text, `lessons/${id}.json`, ''));
}

test('writeCapture gives the bytes of `tcplab pcap` for every lesson, with the same options', () => {
    const ids = lessons();
    assert.ok(ids.length >= 10);
    const variants = [
        [{}, []],
        [{ at: ['server'] }, ['--at', 'server']],
        [{ at: 'all', lang: 'zh-CN' }, ['--at', 'all', '--lang', 'zh-CN']],
    ];
    let compared = 0;
    for (const id of ids) {
        const r = resolved(id);
        const doc = JSON.stringify({ trace: r.trace, steps: r.steps });
        for (const [opts, args] of variants) {
            if (opts.at?.[0] === 'server' && !r.trace.hosts.server) continue;
            const page = Buffer.from(tcplab.writeCapture(doc, JSON.stringify(opts)));
            const native = cli('pcap', `lessons/${id}.json`, '-o', '-', ...args);
            assert.ok(page.equals(native), `${id} ${JSON.stringify(opts)}: ${page.length} bytes in wasm, ${native.length} natively`);
            compared++;
        }
        // The same bytes every time.
        assert.ok(Buffer.from(tcplab.writeCapture(doc, '')).equals(Buffer.from(tcplab.writeCapture(doc, '{}'))));
    }
    assert.ok(compared >= 3 * ids.length - 5);
});

test('captureHosts names the hosts and the default capture point (the CLI\'s)', () => {
    const r = resolved('handshake-close');
    const info = JSON.parse(tcplab.captureHosts(JSON.stringify({ trace: r.trace })));
    assert.deepEqual(info.default, ['client']);
    // A lesson about a server (it accepted several connections) is captured there by default.
    const b = resolved('backlog-full');
    assert.deepEqual(JSON.parse(tcplab.captureHosts(JSON.stringify({ trace: b.trace }))).default, ['server']);
    assert.deepEqual(info.hosts.map((h) => h.name), Object.keys(r.trace.hosts));
    assert.equal(info.hosts[0].ip, r.trace.hosts[info.hosts[0].name].ip);
    // A bare trace works too.
    assert.deepEqual(JSON.parse(tcplab.captureHosts(JSON.stringify(r.trace))).default, ['client']);
});

test('writeCapture refuses what it cannot do, with the engine\'s message', () => {
    const r = resolved('handshake-close');
    const doc = JSON.stringify({ trace: r.trace, steps: r.steps });
    assert.throws(() => tcplab.writeCapture(doc, '{"vantage": "client"}'), /options: \/vantage: is not an option/);
    assert.throws(() => tcplab.writeCapture(doc, '{"at": ["nobody"]}'), /has no host "nobody" to capture at/);
    assert.throws(() => tcplab.writeCapture(doc, '{"at": "all", "format": "pcap"}'), /classic pcap holds one capture point/);
});

test('explainCapture reads one interface of a two-interface file, as the CLI does', () => {
    const r = resolved('handshake-close');
    const all = tcplab.writeCapture(JSON.stringify({ trace: r.trace, steps: r.steps }), '{"at": "all"}');
    const conns = (tr) => tr.capture.connections.map(({ first_frame: _f, delay_us: _d, ...c }) => c);
    const auto = JSON.parse(tcplab.explainCapture(all, '{"file": "all.pcapng"}'));
    assert.deepEqual(auto.capture.interface, { ids: [0], how: 'first' });
    for (const [choice, id] of [['client', 0], ['server', 1], [1, 1]]) {
        const per = JSON.parse(tcplab.explainCapture(all, JSON.stringify({ file: 'all.pcapng', interface: choice })));
        assert.deepEqual(per.capture.interface.ids, [id]);
        const single = tcplab.writeCapture(JSON.stringify({ trace: r.trace }), JSON.stringify({ at: [id ? 'server' : 'client'] }));
        assert.deepEqual(conns(per), conns(JSON.parse(tcplab.explainCapture(single, '{"file": "one.pcapng"}'))));
        assert.equal(per.capture.note_counts.cap_retransmission, undefined);
    }
    assert.throws(() => tcplab.explainCapture(all, '{"interface": "eth9"}'), /no interface "eth9"/);
    // Natively the same explanation.
    const file = join(mkdtempSync(join(tmpdir(), 'tcplab-wasm-')), 'all.pcapng');
    writeFileSync(file, all);
    const native = JSON.parse(execFileSync(BIN, ['explain', '--json', '--interface', 'server', file], { maxBuffer: 1 << 26 }));
    const wasm = JSON.parse(tcplab.explainCapture(all, JSON.stringify({ file, interface: 'server' })));
    assert.deepEqual(wasm, native);
});

// ---- Reading ----------------------------------------------------------------------------------
// <file>.segments.json is what `tcplab explain --segments <file>` printed (the native reader's
// golden files, tests/native/capture_reader_test.cpp); errors.json its messages for damaged files.
const captures = () => readdirSync(DATA).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
const withoutSegments = (json) => {
    const { segments: _s, ...rest } = JSON.parse(json);
    return rest;
};

test('readCaptureJson reads every capture exactly as the native reader does', () => {
    const goldens = readdirSync(DATA).filter((f) => f.endsWith('.segments.json'));
    assert.ok(goldens.length >= 10);
    for (const g of goldens) {
        const name = g.replace(/\.segments\.json$/, '');
        const want = JSON.stringify(JSON.parse(readFileSync(join(DATA, g), 'utf8')));
        assert.equal(tcplab.readCaptureJson(readFileSync(join(DATA, name)), name), want, name);
    }
});

test('readCaptureInfo is readCaptureJson without the segments, with progress to the end', () => {
    const names = captures();
    assert.ok(names.length >= 15);
    for (const name of names) {
        const b = readFileSync(join(DATA, name));
        let full;
        try {
            full = tcplab.readCaptureJson(b, name);
        } catch (e) {
            assert.throws(() => tcplab.readCaptureInfo(b, name, null), { message: e.message }, name);
            continue;
        }
        const calls = [];
        const info = tcplab.readCaptureInfo(b, name, (done, total) => calls.push([done, total]));
        assert.deepEqual(JSON.parse(info), withoutSegments(full), name);
        assert.deepEqual(calls, [[b.length, b.length]], `${name}: a small file reports only its end`);
        assert.equal(tcplab.readCaptureInfo(b, name, null), info);
    }
});

test('readCaptureInfo on a large capture: every connection counted, progress about every MiB', () => {
    const big = repeatCapture(readFileSync(join(DATA, 'normal.pcap')), 6e6);
    assert.ok(big.connections > 5000);
    const calls = [];
    const info = JSON.parse(tcplab.readCaptureInfo(big.bytes, 'big.pcap', (d, t) => calls.push([d, t])));
    assert.deepEqual(info, withoutSegments(tcplab.readCaptureJson(big.bytes, 'big.pcap')));
    assert.equal(info.connections.length, big.connections);
    assert.equal(info.tcp_packets, big.packets);
    assert.ok(calls.length >= 5 && calls.length <= 7, `${calls.length} progress calls for 6 MB`);
    for (let i = 1; i < calls.length - 1; i++) assert.ok(calls[i][0] - calls[i - 1][0] >= 1 << 20);
    assert.ok(calls.at(-1)[0] > calls.at(-2)[0]);
    assert.deepEqual(calls.at(-1), [big.bytes.length, big.bytes.length]);
    assert.ok(calls.every(([, t]) => t === big.bytes.length));
});

test('the readers give the native reader\'s messages, with byte offsets, for damaged files', () => {
    const errors = JSON.parse(readFileSync(join(DATA, 'errors.json'), 'utf8'));
    assert.ok(Object.keys(errors).length >= 2);
    for (const [name, message] of Object.entries(errors)) {
        const b = readFileSync(join(DATA, name));
        assert.match(message, new RegExp(`^${name.replace('.', '\\.')}: byte \\d+: `));
        assert.throws(() => tcplab.readCaptureJson(b, name), { message });
        assert.throws(() => tcplab.readCaptureInfo(b, name, () => {}), { message });
        assert.throws(() => tcplab.explainCapture(b, JSON.stringify({ file: name })), { message });
    }
    // A file cut short is read up to the cut, not refused.
    const cut = readFileSync(join(DATA, 'normal.pcap')).subarray(0, 500);
    assert.equal(JSON.parse(tcplab.readCaptureInfo(cut, 'cut.pcap', null)).truncated_at, 472);
});
