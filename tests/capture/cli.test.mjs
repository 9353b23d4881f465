// `tcplab explain` and `tcplab pcap` as a user types them: the one wording of file errors and
// bad arguments the other commands use (docs/CONTRACTS.md "Errors"), standard input, and what the
// listing prints: each frame at its capture time (tshark's), inferred times marked, causes before
// their effects, scaled windows, duplicates named. And the ASCII ladder's notes in words.
//
// Run: TCPLAB_BIN=build/native/cli/tcplab node --test tests/capture/
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { BIN, ROOT, requireTools, tcplab, tcplabOk } from './lib.mjs';

requireTools();
const TMP = mkdtempSync(join(tmpdir(), 'tcplab-cli-capture-'));
const DATA = 'tests/capture/data';
const ORACLE = 'tests/data/linux';

/** Runs tcplab with `input` on standard input. */
const withStdin = (input, ...args) => spawnSync(BIN, args, { input, cwd: ROOT, maxBuffer: 1 << 28 });
const err = (r) => r.stderr.toString();

test('a directory, a missing file, standard input: the words every command uses', () => {
  for (const cmd of ['explain', 'pcap']) {
    const dir = tcplab(cmd, 'tests');
    assert.equal(dir.status, 2, `${cmd} DIR: ${err(dir)}`);
    assert.equal(err(dir), 'tests: cannot read: it is a directory (expected a file)\n');
    const missing = tcplab(cmd, 'nope.file');
    assert.equal(missing.status, 2);
    assert.equal(err(missing), 'nope.file: cannot read: no such file or directory\n');
  }
  // "-" is standard input, named <stdin>.
  const cap = readFileSync(join(ROOT, DATA, 'normal.pcap'));
  const viaStdin = withStdin(cap, 'explain', '--json', '-');
  assert.equal(viaStdin.status, 0, err(viaStdin));
  const a = JSON.parse(viaStdin.stdout), b = JSON.parse(tcplabOk('explain', '--json', `${DATA}/normal.pcap`));
  assert.equal(a.capture.file, '<stdin>');
  assert.deepEqual(a.events, b.events.map((e) => (e.code === 'cap_source' ? { ...e, args: { ...e.args, file: '<stdin>' } } : e)));
  const lesson = readFileSync(join(ROOT, 'lessons/handshake-close.json'));
  const pc = withStdin(lesson, 'pcap', '-', '-o', '-');
  assert.equal(pc.status, 0, err(pc));
  assert.deepEqual(pc.stdout, tcplabOk('pcap', 'lessons/handshake-close.json', '-o', '-'));
  const nowhere = withStdin(lesson, 'pcap', '-');
  assert.equal(nowhere.status, 2);
  assert.match(err(nowhere), /^tcplab pcap: -o: expected an output file/);
});

test('bad arguments: exit 2 with a message, never an empty answer or an empty field', () => {
  const one = `${DATA}/normal.pcap`;
  const conn = tcplab('explain', one, '--conn', '9');
  assert.equal(conn.status, 2);
  assert.equal(err(conn), `tcplab explain: --conn: expected a connection number from 1 to 1 (${one} has 1 TCP connection), got "9"\n`);
  assert.equal(conn.stdout.length, 0);
  const both = tcplab('explain', one, '--json', '--summary');
  assert.equal(both.status, 2);
  assert.match(err(both), /^tcplab explain: --summary: expected one of --json, --segments and --summary/);
  for (const args of [['explain', one, '--conn', 'x'], ['explain', one, '--lang'], ['pcap', 'lessons/time-wait.json', '--format', 'pcapx'],
    ['pcap', 'lessons/time-wait.json', '--at'], ['explain', one, '-z']]) {
    const r = tcplab(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(err(r), /^tcplab (explain|pcap): /, args.join(' '));
  }
  // No message has an empty "<file>: <pointer>:" field.
  writeFileSync(join(TMP, 'array.json'), '[]');
  for (const args of [['explain', one, '--interface', '3'], ['pcap', join(TMP, 'array.json'), '-o', '-'],
    ['pcap', 'lessons/time-wait.json', '--at', 'all', '--format', 'pcap', '-o', '-']]) {
    const r = tcplab(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.doesNotMatch(err(r), /: :/, args.join(' '));
  }
  // Malformed JSON: the same detail `tcplab run` gives.
  writeFileSync(join(TMP, 'bad.json'), '{"tcplab": 1, "title": "x",\n "hosts": {"a": {"ip": "10.0.0.1"}},, }');
  const run = tcplab('run', join(TMP, 'bad.json')), pcap = tcplab('pcap', join(TMP, 'bad.json'), '-o', '-');
  assert.equal(pcap.status, 2);
  assert.equal(err(pcap), err(run));
  assert.match(err(pcap), /byte 65: invalid JSON \(syntax error/);
});

test('explain --conn N: the footer is about connection N only', () => {
  const file = `${ORACLE}/accept-overflow/capture.pcap`;
  const all = JSON.parse(tcplabOk('explain', '--json', file));
  assert.ok(all.capture.connections.length >= 3);
  const text = tcplabOk('explain', file, '--conn', '2').toString();
  const footer = text.slice(text.indexOf('connections:\n'));
  assert.match(footer, /\n {2}2\. /);
  assert.doesNotMatch(footer, /\n {2}[13]\. /);
  const two = JSON.parse(tcplabOk('explain', '--json', file, '--conn', '2'));
  const codes = two.events.filter((e) => e.kind === 'note' && e.conn).map((e) => e.code);
  assert.deepEqual(Object.keys(two.capture.note_counts).sort(), [...new Set(codes)].sort());
});

/** The listing's frame lines: frame number -> [time column, line index]. */
function frameLines(text) {
  const out = new Map();
  text.split('\n').forEach((l, i) => {
    const m = /^\s*(~?)(-?[0-9.]+) ms {2}#(\d+) /.exec(l);
    if (m) out.set(Number(m[3]), { time: m[2], inferred: m[1] === '~', line: i });
  });
  return out;
}

test('the listing: each frame at its capture time, and causes before their effects', () => {
  for (const file of [`${DATA}/delay-20ms-client.pcap`, `${ORACLE}/normal-close/capture.pcap`, `${ORACLE}/rst-in-window/capture.pcap`]) {
    const text = tcplabOk('explain', file).toString();
    const frames = frameLines(text);
    const times = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_relative'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').map((l) => l.split('\t'));
    assert.equal(frames.size, times.length, file);
    for (const [n, rel] of times) {
      const f = frames.get(Number(n));
      assert.ok(f, `${file} #${n}`);
      assert.equal(f.time, (Number(rel) * 1000).toFixed(3), `${file} #${n}: tshark says ${rel} s`);
      assert.equal(f.inferred, false);
    }
    // In time order on the page.
    const order = [...frames.entries()].sort((a, b) => a[1].line - b[1].line).map(([n]) => n);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), file);
  }
  // The server's ACK of the client's data comes after the server's end is established (the data
  // and the handshake's ACK reached it first); the times of that end are marked as inferred.
  const d20 = tcplabOk('explain', `${DATA}/delay-20ms-client.pcap`).toString().split('\n');
  const established = d20.findIndex((l) => /server \S+: SYN_RECEIVED -> ESTABLISHED/.test(l));
  assert.ok(established > 0 && d20.findIndex((l) => /#5 /.test(l)) > established);
  assert.match(d20.slice(0, established + 1).reverse().find((l) => /ms {6}/.test(l)), /^\s*~[0-9.]+ ms/);
  assert.match(d20.find((l) => /#2 /.test(l)), /\(sent by server at ~20\.460 ms\)$/);
  // The challenge ACK is listed after the RST reached the server.
  const rst = tcplabOk('explain', `${ORACLE}/rst-in-window/capture.pcap`).toString().split('\n');
  const challenged = rst.findIndex((l) => /server's window but not at the exact next sequence number/.test(l));
  assert.ok(challenged > 0 && rst.findIndex((l) => /#7 /.test(l)) > challenged);
});

test('the listing: scaled windows as Wireshark shows them, and a packet recorded twice', () => {
  const text = tcplabOk('explain', `${DATA}/delay-20ms-client.pcap`).toString();
  assert.match(text, /#1 .*\[SYN\] seq=0 win=64240 len=0/);
  assert.match(text, /#3 .*\[ACK\] seq=1 ack=1 win=64512 \(raw 63\) len=0/);
  assert.match(tcplabOk('explain', `${DATA}/mid-connection.pcap`).toString(), /#1 .* win=64 \(raw; scale unknown\)/);
  const dup = tcplabOk('explain', `${DATA}/duplicate-frames.pcap`).toString();
  assert.match(dup, /11 frames are exact copies of a frame captured microseconds earlier on the same interface/);
  assert.match(dup, /note: 11 frames are one packet recorded twice, explained once/);
  assert.equal(frameLines(dup).size, 11);
});

test('the ASCII ladder writes notes in words from the engine\'s catalogue', () => {
  const text = tcplabOk('run', 'lessons/time-wait.json').toString();
  assert.doesNotMatch(text, /time_wait_restart|\{"seg_id"/);
  assert.match(text, /client: The FIN was retransmitted \(our last ACK was lost\): ACK it again and restart the 2MSL timer\./);
  const rst = tcplabOk('run', 'lessons/rst-cases.json').toString();
  assert.doesNotMatch(rst, /rst_no_socket/);
  assert.match(rst, /No socket matches this segment, so the host answers with a RST/);
});
