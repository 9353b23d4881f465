// `tcplab pcap` (the one capture export, also behind the page's "Download capture") and
// `tcplab explain` on what it wrote, the way a user runs them:
//  - the default capture point is the host the lesson is about (a server that accepted several
//    connections, else the client), and the file says so; `--at HOST` and `--at all`;
//  - every lesson, lossy ones too, explained back from its default capture: the capture point's
//    segments, and both ends' last states as far as that capture can tell them;
//  - the same lesson gives the same bytes every time, dated 2022-08-01 (not 1970);
//  - for every lossless lesson, at every single host: tshark finds no malformed packet, no bad
//    checksum and no TCP analysis flag that correct traffic does not raise;
//  - `tcplab explain` of each such file narrates the lesson's segments in order and the states
//    both ends went through, as far as a capture can show them, with no invented retransmission;
//  - a two-interface pcapng ("--at all") is explained per interface: each interface gives the
//    connections of that host's own file, and nothing is merged into false duplicates.
//
// Run: TCPLAB_BIN=build/native/cli/tcplab node --test tests/capture/
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  analysisProblems, captureComment, capturedAt, decodingProblems, defaultCapturePoint, knowableStates, lastKnownStates, lessonDoc, lessonIds,
  lossy, packetsAt, pool, portsOf, requireTools, ROOT, segSig, tcplab, tcplabAsync, tcplabOk, tshark, tsharkAsync, tuplesOf,
} from './lib.mjs';

const TMP = mkdtempSync(join(tmpdir(), 'tcplab-export-'));
requireTools();

// 2022-08-01 00:00:00 UTC (tcplab::kCaptureEpochUs), in seconds.
const EPOCH_S = 1659312000;

const explainJson = (file, ...args) => JSON.parse(tcplabOk('explain', '--json', file, ...args).toString());
const explainAsync = async (file, ...args) => JSON.parse((await tcplabAsync('explain', '--json', file, ...args)).toString());
const connections = (tr) => tr.capture.connections.map(({ first_frame: _f, delay_us: _d, ...c }) => c);
const noteCount = (tr, code) => tr.capture.note_counts[code] ?? 0;

// Every lesson once: its trace, whether it is lossless, and its default export.
const LESSONS = await pool(lessonIds(), async (id) => {
  const [run, def] = await Promise.all([tcplabAsync('run', '--json', `lessons/${id}.json`), tcplabAsync('pcap', `lessons/${id}.json`, '-o', '-')]);
  const trace = JSON.parse(run.toString());
  const file = join(TMP, `${id}.pcapng`);
  writeFileSync(file, def);
  return { id, trace, why: lossy(trace, lessonDoc(id)), at: defaultCapturePoint(trace), file };
});
// Explanations of files written here, each made once.
const explained = new Map();
const explainFile = (file) => {
  if (!explained.has(file)) explained.set(file, explainAsync(file));
  return explained.get(file);
};
const LOSSLESS = LESSONS.filter((l) => l.why === null);

test('lessons: enough of them are lossless to mean something', (t) => {
  t.diagnostic(`lossless: ${LOSSLESS.map((l) => l.id).join(', ')}`);
  t.diagnostic(`not lossless: ${LESSONS.filter((l) => l.why).map((l) => `${l.id} (${l.why})`).join(', ')}`);
  assert.ok(LOSSLESS.length >= 10, `only ${LOSSLESS.length} lossless lessons`);
});

test('pcap: the default capture point is the client, named in the file; the bytes never change', () => {
  // Without -o the file goes next to the input, and the command says where.
  const copy = join(TMP, 'copy.json');
  writeFileSync(copy, readFileSync(join(ROOT, 'lessons/handshake-close.json')));
  const w = tcplab('pcap', copy);
  assert.equal(w.status, 0, w.stderr.toString());
  assert.equal(w.stderr.toString(), `tcplab pcap: wrote ${join(TMP, 'copy.pcapng')} (${readFileSync(join(TMP, 'copy.pcapng')).length} bytes)\n`);
  assert.equal(tcplab('pcap', copy, '-o', join(TMP, 'named.pcapng')).stderr.toString(), '', 'with -o the name is the user\'s: nothing to say');
  const out = join(TMP, 'hc.pcapng');
  const r = tcplab('pcap', 'lessons/handshake-close.json', '-o', out);
  assert.equal(r.status, 0, r.stderr.toString());
  const a = readFileSync(out);
  assert.deepEqual(tcplabOk('pcap', 'lessons/handshake-close.json', '-o', '-'), a, 'the same bytes on every run');
  assert.deepEqual(tcplabOk('pcap', 'lessons/handshake-close.json', '--at', 'client', '-o', '-'), a, '--at client is the default');
  const trace = LESSONS.find((l) => l.id === 'handshake-close').trace;
  assert.match(captureComment(out), new RegExp(`Captured at the interface of host client \\(${trace.hosts.client.ip.replace(/\./g, '\\.')}\\)`));
  const rows = tshark(out);
  assert.equal(new Set(rows.map((r) => r['frame.interface_name'])).size, 1);
  assert.equal(rows[0]['frame.interface_name'], 'client');
  // Dated from 2022-08-01 on the virtual clock, not from 1970.
  const times = packetTimes(out);
  const firstSend = trace.events.find((e) => e.kind === 'send').t_us;
  assert.equal(times[0], EPOCH_S * 1e6 + firstSend);
  // In Chinese too.
  const zh = join(TMP, 'hc-zh.pcapng');
  tcplabOk('pcap', 'lessons/handshake-close.json', '--lang', 'zh-CN', '-o', zh);
  assert.match(captureComment(zh), /在主机 client（[0-9.]+）的网卡上抓取/);
});

test('pcap: a lesson about a server is captured at that server by default', () => {
  // A host that accepted several connections is where backlogs, SYN floods, TIME_WAIT and
  // CLOSE_WAIT pile up, and the one interface that sees every client.
  const want = { 'backlog-full': 'server', 'syn-flood': 'cookies', 'time-wait-pileup': 'server', 'close-wait-leak': 'server', 'port-exhaustion': 'server',
    'handshake-close': 'client', 'cable-pulled': 'client', keepalive: 'client', 'simultaneous-open': 'a' };
  for (const [id, host] of Object.entries(want)) {
    const l = LESSONS.find((x) => x.id === id);
    assert.ok(l, `lesson ${id}`);
    assert.equal(l.at, host, `${id}: the rule`);
    assert.match(captureComment(l.file), new RegExp(`Captured at the interface of host ${host} \\(`), `${id}: the file`);
  }
  // Every lesson: the file names the host the rule picks.
  for (const l of LESSONS)
    assert.match(captureComment(l.file), new RegExp(`Captured at the interface of host ${l.at} \\(`), l.id);
});

test('pcap: what a host sent while its cable was out is not in its capture, and the file says so', () => {
  const l = LESSONS.find((x) => x.id === 'cable-pulled');
  const lost = l.trace.events.filter((e) => e.kind === 'send' && e.host === 'client' && e.t_us > 2_000_000);
  assert.ok(lost.length >= 3, 'the lesson sends while unplugged');
  const rows = tshark(l.file, portsOf(packetsAt(l.trace, 'client')));
  assert.equal(rows.length, packetsAt(l.trace, 'client').length);
  assert.ok(rows.length < l.trace.events.filter((e) => (e.kind === 'send' && e.host === 'client') || (e.kind === 'deliver' && e.host === 'client')).length);
  assert.match(captureComment(l.file), new RegExp(`${lost.length} segments client \\([0-9.]+\\) tried to send while its cable was unplugged are not in this capture: with the carrier down, Linux drops them before the capture point`));
  // At the server, the other end of the cable, they were never seen either; nothing to say there.
  const srv = join(TMP, 'cable-server.pcapng');
  tcplabOk('pcap', 'lessons/cable-pulled.json', '--at', 'server', '-o', srv);
  assert.doesNotMatch(captureComment(srv), /unplugged/);
});

test('every lesson, lossy ones too, explained back from its default capture: the same segments and last states', async (t) => {
  const problems = [];
  let compared = 0;
  await pool(LESSONS, async ({ id, trace, at, file }) => {
    const captured = capturedAt(trace, at);
    const ex = await explainFile(file);
    const seen = ex.events.filter((e) => e.kind === 'send').sort((a, b) => a.frame - b.frame).map((e) => segSig(e.seg));
    const want = captured.map((e) => segSig(e.seg));
    if (seen.join('\n') !== want.join('\n')) problems.push(`${id}@${at}: explained segments differ:\n  got  ${seen.join('\n       ')}\n  want ${want.join('\n       ')}`);
    // Ends the lesson has a socket for (forged sources and SYN-cookie answers have none).
    const ends = new Set(trace.events.filter((e) => e.kind === 'state').map((e) => e.conn));
    const tuples = tuplesOf(captured.map((e) => e.seg));
    const w = lastKnownStates(trace.events, captured), g = lastKnownStates(ex.events, null);
    for (const conn of new Set([...Object.keys(w), ...Object.keys(g)])) {
      const [a, b] = conn.split('>');
      if (!ends.has(conn) || !tuples.has(a < b ? `${a}|${b}` : `${b}|${a}`)) continue;
      if (w[conn] !== g[conn]) problems.push(`${id}@${at}: ${conn}: explained ${g[conn] ?? '(none)'}, the lesson ${w[conn] ?? '(none)'}`);
      compared++;
    }
    if (want.length === 0) problems.push(`${id}@${at}: the capture holds no segment`);
  });
  t.diagnostic(`${LESSONS.length} lessons explained back from their default capture point, ${compared} connection ends compared`);
  assert.deepEqual(problems, []);
  assert.ok(compared >= 2 * LESSONS.length, `only ${compared} connection ends compared`);
});

// Packet times (µs since 1970) as tshark reads them.
function packetTimes(file) {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  return out.split('\n').filter(Boolean).map((s) => {
    const [sec, frac = ''] = s.split('.');
    return Number(sec) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));
  });
}

test('pcap: --at HOST, --at all, and the errors', () => {
  const s = join(TMP, 'hc-server.pcapng');
  tcplabOk('pcap', 'lessons/handshake-close.json', '--at', 'server', '-o', s);
  assert.match(captureComment(s), /Captured at the interface of host server \(/);
  const all = join(TMP, 'hc-all.pcapng');
  tcplabOk('pcap', 'lessons/handshake-close.json', '--at', 'all', '-o', all);
  const comment = captureComment(all);
  assert.match(comment, /interfaces of hosts client \([0-9.]+\) and server \([0-9.]+\)/);
  assert.match(comment, /Wireshark shows a segment once per interface/);
  const rows = tshark(all);
  assert.deepEqual([...new Set(rows.map((r) => r['frame.interface_name']))], ['client', 'server']);
  const bad = tcplab('pcap', 'lessons/handshake-close.json', '--at', 'nobody', '-o', '-');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.toString(), /has no host "nobody" to capture at/);
  const pcap = tcplab('pcap', 'lessons/handshake-close.json', '--at', 'all', '--format', 'pcap', '-o', '-');
  assert.equal(pcap.status, 2);
  assert.match(pcap.stderr.toString(), /classic pcap holds one capture point/);
});

// The capture of each lossless lesson at each host it has (the default one is the lesson's file).
const HOSTFILES = new Map();
const hostFile = (l, host) => (host === l.at ? l.file : join(TMP, `${l.id}-${host}.pcapng`));

test('every lossless lesson at every host: tshark-clean, and explained back to the same segments and states', async (t) => {
  const problems = [];
  let compared = 0;
  const tasks = LOSSLESS.flatMap((l) => Object.keys(l.trace.hosts).filter((h) => packetsAt(l.trace, h).length > 0).map((host) => ({ ...l, host })));
  await pool(tasks, async ({ id, trace, at, host, file: defFile }) => {
    const pkts = packetsAt(trace, host);
    const file = hostFile({ id, at, file: defFile }, host);
    const bytes = await tcplabAsync('pcap', `lessons/${id}.json`, '--at', host, '-o', '-');
    if (host === at) assert.deepEqual(bytes, readFileSync(defFile), `${id}: the default export is ${at}'s`);
    else writeFileSync(file, bytes);
    HOSTFILES.set(`${id}|${host}`, file);
    const comment = captureComment(file);
    if (!comment.includes(`Captured at the interface of host ${host} (${trace.hosts[host].ip})`))
      problems.push(`${file}: the section comment does not name host ${host}: ${comment}`);
    const [rows, ex] = await Promise.all([tsharkAsync(file, portsOf(pkts)), explainFile(file)]);
    problems.push(...decodingProblems(file, rows, pkts), ...analysisProblems(file, rows, pkts));
    // tcplab's own import of the file.
    const seen = ex.events.filter((e) => e.kind === 'send').sort((a, b) => a.frame - b.frame).map((e) => segSig(e.seg));
    const want = pkts.map(segSig);
    if (seen.join('\n') !== want.join('\n')) problems.push(`${file}: explained segments differ:\n  got  ${seen.join('\n       ')}\n  want ${want.join('\n       ')}`);
    const only = tuplesOf(pkts);
    const ws = knowableStates(trace.events, only), gs = knowableStates(ex.events, only);
    for (const conn of new Set([...Object.keys(ws), ...Object.keys(gs)])) {
      const w = (ws[conn] ?? []).join(' '), g = (gs[conn] ?? []).join(' ');
      if (w !== g) problems.push(`${file}: ${conn}: states ${g || '(none)'}, the lesson: ${w || '(none)'}`);
      compared++;
    }
    for (const code of Object.keys(ex.capture.note_counts))
      if (/retransmi|inferred|dup_ack|probe|foreign/.test(code)) problems.push(`${file}: the explanation invents ${code} (${noteCount(ex, code)})`);
  });
  t.diagnostic(`${tasks.length} captures of ${LOSSLESS.length} lossless lessons checked, ${compared} connection ends' states compared`);
  assert.deepEqual(problems, []);
  assert.ok(tasks.length >= 2 * LOSSLESS.length);
  assert.ok(compared >= 2 * tasks.length, `only ${compared} connection ends compared`);
});

test('explain: a two-interface pcapng is read per interface, each as that host\'s own file', async (t) => {
  const two = LOSSLESS.filter(({ trace }) => Object.keys(trace.hosts).filter((h) => packetsAt(trace, h).length > 0).length >= 2);
  assert.ok(two.length >= 8, `only ${two.length} lessons with two hosts checked`);
  await pool(two, async (l) => {
    const { id, trace } = l;
    const hosts = Object.keys(trace.hosts).filter((h) => packetsAt(trace, h).length > 0);
    const all = join(TMP, `${id}-all.pcapng`);
    await tcplabAsync('pcap', `lessons/${id}.json`, '--at', 'all', '-o', all);
    const names = Object.keys(trace.hosts);
    const auto = await explainAsync(all);
    assert.deepEqual(auto.capture.interface, { ids: [0], how: 'first' }, `${id}: the first interface by default`);
    assert.ok(auto.events.some((e) => e.kind === 'note' && e.code === 'cap_interface_first'), `${id}: says which interface it read`);
    for (const [i, h] of names.entries()) {
      if (!hosts.includes(h)) continue;
      const single = await explainFile(HOSTFILES.get(`${id}|${h}`) ?? hostFile(l, h));
      for (const choice of [String(i), h]) {
        const per = await explainAsync(all, '--interface', choice);
        assert.deepEqual(per.capture.interface.ids, [i], `${id} --interface ${choice}`);
        assert.deepEqual(connections(per), connections(single), `${id} --interface ${choice}: as the ${h}-only file`);
        for (const code of Object.keys(per.capture.note_counts))
          assert.doesNotMatch(code, /retransmi|inferred|dup_ack/, `${id} --interface ${choice}: ${code}`);
      }
      if (i === 0) assert.deepEqual(connections(auto), connections(single), `${id}: default = the first interface`);
    }
  });
  const checked = two.length;
  // Read together on request, the duplicates appear: the check above can fail.
  const merged = explainJson(join(TMP, 'hc-all.pcapng'), '--interface', 'all');
  assert.equal(merged.capture.interface.how, 'all');
  assert.ok(noteCount(merged, 'cap_retransmission') > 0, 'merging two interfaces invents retransmissions');
  // The text says which capture point it explains, and an unknown one is an error.
  const text = tcplabOk('explain', join(TMP, 'hc-all.pcapng'), '--summary').toString();
  assert.match(text, /capture point: 0 "client" \(the interface of host client \([0-9.]+\)\), the first in the file/);
  assert.match(text, /1 "server" \(the interface of host server/);
  const zh = tcplabOk('explain', join(TMP, 'hc-all.pcapng'), '--summary', '--interface', 'server', '--lang', 'zh-CN').toString();
  assert.match(zh, /抓包点：1 "server"/);
  const bad = tcplab('explain', join(TMP, 'hc-all.pcapng'), '--interface', 'eth7');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.toString(), /the capture has no interface "eth7" \(its interfaces: 0 "client", 1 "server"\)/);
  t.diagnostic(`${checked} two-interface files checked per interface`);
});

test('explain: one path split over interfaces and sections is read together', () => {
  const split = explainJson('tests/capture/data/ns-two-sections.pcapng');
  const normal = explainJson('tests/capture/data/normal.pcap');
  assert.equal(split.capture.interface.how, 'together');
  assert.deepEqual(connections(split), connections(normal));
  const two = explainJson('tests/capture/data/two-interfaces.pcapng');
  assert.deepEqual(two.capture.interface, { ids: [0], how: 'first' });
  assert.deepEqual(connections(two), connections(normal));
});
