// `tcplab pcap` (the one capture export, also behind the page's "Download capture") and
// `tcplab explain` on what it wrote, the way a user runs them:
//  - the default capture point is the client, and the file says so; `--at HOST` and `--at all`;
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
  analysisProblems, captureComment, decodingProblems, knowableStates, lessonDoc, lessonIds, lessonTrace, lossy, packetsAt, portsOf,
  requireTools, segSig, tcplab, tcplabOk, tshark, tuplesOf,
} from './lib.mjs';

const TMP = mkdtempSync(join(tmpdir(), 'tcplab-export-'));
requireTools();

// 2022-08-01 00:00:00 UTC (tcplab::kCaptureEpochUs), in seconds.
const EPOCH_S = 1659312000;

const explainJson = (file, ...args) => JSON.parse(tcplabOk('explain', '--json', file, ...args).toString());
const connections = (tr) => tr.capture.connections.map(({ first_frame: _f, delay_us: _d, ...c }) => c);
const noteCount = (tr, code) => tr.capture.note_counts[code] ?? 0;

// Every lesson once: its trace and whether it is lossless.
const LESSONS = lessonIds().map((id) => {
  const trace = lessonTrace(id);
  return { id, trace, why: lossy(trace, lessonDoc(id)) };
});
const LOSSLESS = LESSONS.filter((l) => l.why === null);

test('lessons: enough of them are lossless to mean something', (t) => {
  t.diagnostic(`lossless: ${LOSSLESS.map((l) => l.id).join(', ')}`);
  t.diagnostic(`not lossless: ${LESSONS.filter((l) => l.why).map((l) => `${l.id} (${l.why})`).join(', ')}`);
  assert.ok(LOSSLESS.length >= 10, `only ${LOSSLESS.length} lossless lessons`);
});

test('pcap: the default capture point is the client, named in the file; the bytes never change', () => {
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

test('every lossless lesson at every host: tshark-clean, and explained back to the same segments and states', (t) => {
  let files = 0;
  const problems = [];
  for (const { id, trace } of LOSSLESS) {
    const def = tcplabOk('pcap', `lessons/${id}.json`, '-o', '-');
    const client = trace.events.find((e) => e.kind === 'send' && e.seg.flags.join() === 'SYN')?.host ?? Object.keys(trace.hosts)[0];
    for (const host of Object.keys(trace.hosts)) {
      const pkts = packetsAt(trace, host);
      if (pkts.length === 0) continue; // a host that never sends or receives a segment
      const file = join(TMP, `${id}-${host}.pcapng`);
      const bytes = tcplabOk('pcap', `lessons/${id}.json`, '--at', host, '-o', '-');
      writeFileSync(file, bytes);
      if (host === client) assert.deepEqual(bytes, def, `${id}: the default export is the client's (${client})`);
      const comment = captureComment(file);
      if (!comment.includes(`Captured at the interface of host ${host} (${trace.hosts[host].ip})`))
        problems.push(`${file}: the section comment does not name host ${host}: ${comment}`);
      const rows = tshark(file, portsOf(pkts));
      problems.push(...decodingProblems(file, rows, pkts), ...analysisProblems(file, rows, pkts));
      // tcplab's own import of the file.
      const ex = explainJson(file);
      const seen = ex.events.filter((e) => e.kind === 'send').sort((a, b) => a.frame - b.frame).map((e) => segSig(e.seg));
      const want = pkts.map(segSig);
      if (seen.join('\n') !== want.join('\n')) problems.push(`${file}: explained segments differ:\n  got  ${seen.join('\n       ')}\n  want ${want.join('\n       ')}`);
      const only = tuplesOf(pkts);
      const ws = knowableStates(trace.events, only), gs = knowableStates(ex.events, only);
      for (const conn of new Set([...Object.keys(ws), ...Object.keys(gs)])) {
        const w = (ws[conn] ?? []).join(' '), g = (gs[conn] ?? []).join(' ');
        if (w !== g) problems.push(`${file}: ${conn}: states ${g || '(none)'}, the lesson: ${w || '(none)'}`);
      }
      for (const code of ['cap_retransmission', 'cap_inferred_loss', 'cap_dup_ack', 'cap_fast_retransmit'])
        if (noteCount(ex, code)) problems.push(`${file}: the explanation invents ${code} (${noteCount(ex, code)})`);
      files++;
    }
  }
  t.diagnostic(`${files} captures of ${LOSSLESS.length} lossless lessons checked`);
  assert.deepEqual(problems, []);
  assert.ok(files >= 2 * LOSSLESS.length);
});

test('explain: a two-interface pcapng is read per interface, each as that host\'s own file', (t) => {
  let checked = 0;
  for (const { id, trace } of LOSSLESS) {
    const hosts = Object.keys(trace.hosts).filter((h) => packetsAt(trace, h).length > 0);
    if (hosts.length < 2) continue;
    const all = join(TMP, `${id}-all.pcapng`);
    tcplabOk('pcap', `lessons/${id}.json`, '--at', 'all', '-o', all);
    const names = Object.keys(trace.hosts);
    const auto = explainJson(all);
    assert.deepEqual(auto.capture.interface, { ids: [0], how: 'first' }, `${id}: the first interface by default`);
    assert.ok(auto.events.some((e) => e.kind === 'note' && e.code === 'cap_interface_first'), `${id}: says which interface it read`);
    names.forEach((h, i) => {
      if (!hosts.includes(h)) return;
      const single = explainJson(join(TMP, `${id}-${h}.pcapng`));
      for (const choice of [String(i), h]) {
        const per = explainJson(all, '--interface', choice);
        assert.deepEqual(per.capture.interface.ids, [i], `${id} --interface ${choice}`);
        assert.deepEqual(connections(per), connections(single), `${id} --interface ${choice}: as the ${h}-only file`);
        for (const code of ['cap_retransmission', 'cap_inferred_loss', 'cap_dup_ack'])
          assert.equal(noteCount(per, code), 0, `${id} --interface ${choice}: ${code}`);
      }
      if (i === 0) assert.deepEqual(connections(auto), connections(single), `${id}: default = the first interface`);
    });
    checked++;
  }
  assert.ok(checked >= 8, `only ${checked} lessons with two hosts checked`);
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
