// Captures written by `tcplab pcap` checked with tshark (Wireshark's dissectors):
//  - every packet decodes; no malformed packet, no bad IPv4 header or TCP checksum;
//  - the flags, seq and ack tshark reads are the trace's, packet by packet;
//  - Wireshark's TCP analysis flags appear only where the traffic made them
//    (retransmissions where a sender re-sent sequence space, lost_segment where it skipped some,
//    duplicate ACKs where an ACK repeated with data outstanding).
// Inputs: traces explained from real captures (tests/capture/data, tests/data/linux) and, when the
// engine runs them, the scenarios and lessons of the project.
//
// Run: node --test tests/capture/   (TCPLAB_BIN overrides build/native/cli/tcplab)
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, defaultCapturePoint, lossy, packetsAt, pool, portsOf, requireTools, tcplabAsync, tsharkAsync } from './lib.mjs';

const TMP = mkdtempSync(join(tmpdir(), 'tcplab-tshark-'));

const BITS = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 };
const flagBits = (flags) => flags.reduce((a, f) => a | BITS[f], 0);
const lt = (a, b) => ((a - b) | 0) < 0;

// Where Wireshark's analysis should (and should not) fire, computed from the segments alone.
function expectedAnalysis(pkts) {
  const next = new Map();  // direction -> next sequence number
  const lastAck = new Map();
  const retrans = new Set(), lost = new Set(), keepalive = new Set();
  pkts.forEach((s, i) => {
    const dir = `${s.src}>${s.dst}`;
    const f = flagBits(s.flags);
    const seglen = s.len + (f & 2 ? 1 : 0) + (f & 1 ? 1 : 0);
    const n = next.get(dir);
    if (n !== undefined && !(f & 4)) {
      if (seglen > 0 && lt(s.seq, n)) {
        if (s.len <= 1 && !(f & 3) && s.seq === ((n - 1) >>> 0)) keepalive.add(i + 1);
        else retrans.add(i + 1);
      } else if (seglen === 0 && s.len === 0 && !(f & 7) && s.seq === ((n - 1) >>> 0)) keepalive.add(i + 1);
      else if (lt(n, s.seq) && !(f & 2)) lost.add(i + 1);
    }
    if (n === undefined || lt(n, (s.seq + seglen) >>> 0)) next.set(dir, (s.seq + seglen) >>> 0);
    lastAck.set(dir, s.ack);
  });
  return { retrans, lost, keepalive };
}

async function checkCapture(file, trace, host) {
  const pkts = packetsAt(trace, host);
  const rows = await tsharkAsync(file, portsOf(pkts));
  assert.equal(rows.length, pkts.length, 'one packet per segment at the capture point');
  const exp = expectedAnalysis(pkts);
  const got = { retrans: new Set(), lost: new Set(), keepalive: new Set() };
  rows.forEach((r, i) => {
    const s = pkts[i];
    const where = `${file} frame ${i + 1}`;
    assert.equal(r['_ws.malformed'], '', `${where}: malformed`);
    assert.doesNotMatch(r['_ws.expert.message'], /malformed|bad checksum|incorrect/i, `${where}: ${r['_ws.expert.message']}`);
    if (!r['ipv6.src']) assert.equal(r['ip.checksum.status'], '1', `${where}: IPv4 checksum status`);
    assert.equal(r['tcp.checksum.status'], '1', `${where}: TCP checksum status`);
    assert.equal(Number(r['tcp.flags']), flagBits(s.flags), `${where}: flags`);
    assert.equal(Number(r['tcp.seq_raw']), s.seq, `${where}: seq`);
    assert.equal(Number(r['tcp.ack_raw']), s.flags.includes('ACK') ? s.ack : Number(r['tcp.ack_raw']), `${where}: ack`);
    assert.equal(Number(r['tcp.len']), s.len, `${where}: len`);
    if (r['tcp.analysis.retransmission'] || r['tcp.analysis.fast_retransmission'] || r['tcp.analysis.spurious_retransmission'])
      got.retrans.add(i + 1);
    if (r['tcp.analysis.lost_segment']) got.lost.add(i + 1);
    if (r['tcp.analysis.keep_alive']) got.keepalive.add(i + 1);
  });
  // Hand-injected segments (old duplicates, blind RSTs) make Wireshark's per-stream analysis
  // guess (e.g. "port numbers reused" then a confused retransmission): compare analysis flags
  // only for traffic that real TCPs sent.
  if (trace.events.some((e) => e.kind === 'send' && e.injected)) return rows.length;
  for (const k of ['retrans', 'lost', 'keepalive'])
    assert.deepEqual([...got[k]].sort((a, b) => a - b), [...exp[k]].sort((a, b) => a - b), `${file}: tcp.analysis ${k} frames`);
  return rows.length;
}

function realCaptures() {
  const list = [];
  const own = join(ROOT, 'tests/capture/data');
  for (const f of readdirSync(own)) if (/\.(pcap|pcapng)$/.test(f) && !/truncated|bad-/.test(f)) list.push(join(own, f));
  const oracle = join(ROOT, 'tests/data/linux');
  assert.ok(existsSync(oracle), `${oracle} is missing`);
  for (const d of readdirSync(oracle)) if (existsSync(join(oracle, d, 'capture.pcap'))) list.push(join(oracle, d, 'capture.pcap'));
  return list;
}

test('tshark decodes explained real captures written back, packet for packet', async (t) => {
  requireTools();
  const counts = await pool(realCaptures(), async (cap, i) => {
    const json = await tcplabAsync('explain', '--json', cap);
    const trace = JSON.parse(json.toString());
    assert.ok(trace.capture.tcp_packets > 0, `${cap}: no TCP packet to write back`);
    const name = cap.replace(ROOT, '').replace(/[/.]/g, '_');
    const tfile = join(TMP, name + '.json');
    writeFileSync(tfile, json);
    const host = defaultCapturePoint(trace); // the writer's default capture point
    // Classic pcap for the first few files (same frames, other container); pcapng for all.
    let packets = 0;
    for (const fmt of i < 4 ? ['pcapng', 'pcap'] : ['pcapng']) {
      const out = join(TMP, `${name}.${fmt}`);
      await tcplabAsync('pcap', tfile, '-o', out, '--format', fmt, '--lang', 'zh-CN');
      packets += await checkCapture(out, trace, host);
    }
    return packets;
  });
  // Every real capture takes part (the damaged ones are left out above), with its packets.
  const files = counts.filter((n) => n > 0).length;
  assert.equal(files, counts.length, 'every capture written back has packets');
  assert.ok(files >= 45, `${files} captures checked`);
  t.diagnostic(`${files} captures, ${counts.reduce((a, b) => a + b, 0)} packets checked by tshark`);
});

// The engine's scenarios, and the lessons with losses, faults or injected segments; a lossless
// lesson's capture is checked more strictly, at every host, by export.test.mjs (no analysis flag
// at all that correct traffic does not raise).
test('tshark decodes the engine\'s scenarios and lessons written as captures', async (t) => {
  requireTools();
  const inputs = [];
  for (const dir of ['tests/scenarios', 'lessons']) {
    const d = join(ROOT, dir);
    assert.ok(existsSync(d), `${d} is missing`);
    for (const f of readdirSync(d)) if (f.endsWith('.json') && f !== 'schema.json' && f !== 'index.json') inputs.push(join(d, f));
  }
  let lossless = 0;
  const done = await pool(inputs, async (input, i) => {
    // Every scenario and lesson runs and sends something: one that does not is a failure here,
    // never a file left out.
    const json = await tcplabAsync('run', '--json', input);
    const trace = JSON.parse(json.toString());
    assert.ok(trace.events.some((e) => e.kind === 'send'), `${input}: no segment sent`);
    if (input.includes('/lessons/') && lossy(trace, JSON.parse(readFileSync(input, 'utf8'))) === null) {
      lossless++;
      return false;
    }
    const tfile = join(TMP, `engine-${i}.json`);
    writeFileSync(tfile, json);
    const out = join(TMP, `engine-${i}.pcapng`);
    await tcplabAsync('pcap', tfile, '-o', out);
    await checkCapture(out, trace, defaultCapturePoint(trace));
    return true;
  });
  const files = done.filter(Boolean).length;
  assert.equal(files + lossless, inputs.length);
  assert.ok(files >= 5, `only ${files} engine traces checked`);
  assert.ok(lossless >= 10, `${lossless} lossless lessons left to export.test.mjs`);
  t.diagnostic(`${files} engine traces checked by tshark (${lossless} lossless lessons are export.test.mjs's)`);
});
