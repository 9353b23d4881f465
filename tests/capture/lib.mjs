// What the capture tests share (tests/capture/*.test.mjs and web/e2e/capture.spec.ts): the
// binary, tshark with the fields they read, the packets a capture point sees, which lessons are
// lossless, the analysis flags Wireshark raises on correct traffic, and the states a capture can
// show. Nothing here skips: a missing binary, tool or data folder is an error.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = process.env.TCPLAB_BIN || join(ROOT, 'build/native/cli/tcplab');

/** Throws unless the tcplab binary, tshark and capinfos are there. */
export function requireTools() {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build it (cmake --build --preset native) or set TCPLAB_BIN`);
  for (const tool of ['tshark', 'capinfos'])
    if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`${tool} is not installed (apt-get install tshark)`);
}

/** Runs tcplab; the result with stdout/stderr as Buffers. */
export const tcplab = (...args) => spawnSync(BIN, args, { maxBuffer: 1 << 28, encoding: 'buffer', cwd: ROOT });

/** Runs tcplab and returns stdout, or throws with its stderr. */
export function tcplabOk(...args) {
  const r = tcplab(...args);
  if (r.status !== 0) throw new Error(`tcplab ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The same without blocking: resolves to stdout (a Buffer), rejects with stderr. */
export function tcplabAsync(...args) {
  return new Promise((resolve, reject) => {
    execFile(BIN, args, { encoding: 'buffer', maxBuffer: 1 << 28, cwd: ROOT }, (e, stdout, stderr) => {
      if (e) reject(new Error(`tcplab ${args.join(' ')}: exit ${e.code}: ${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs fn(item) for every item with a few of them in flight at once (the tests mostly wait for
 * tcplab and tshark processes), and resolves to the results in the items' order.
 */
export async function pool(items, fn, width = Math.max(2, availableParallelism() + 1)) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

/** The lesson files (lessons/<id>.json, without index and schema). */
export function lessonIds() {
  const dir = join(ROOT, 'lessons');
  const ids = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'schema.json' && f !== 'index.json').map((f) => f.slice(0, -5)).sort();
  if (ids.length < 10) throw new Error(`${dir}: only ${ids.length} lessons`);
  return ids;
}

/** A lesson's trace as the engine runs it (the same run resolve_lesson makes). */
export const lessonTrace = (id) => JSON.parse(tcplabOk('run', '--json', `lessons/${id}.json`).toString());
export const lessonDoc = (id) => JSON.parse(readFileSync(join(ROOT, 'lessons', `${id}.json`), 'utf8'));

/**
 * Why a lesson is not lossless, or null when it is: nothing dropped, thrown away, duplicated,
 * injected or delayed on purpose (trace events and the scenario's faults and link).
 */
export function lossy(trace, lesson) {
  const sc = lesson.scenario ?? lesson;
  if (Array.isArray(sc.faults) && sc.faults.length) return 'faults';
  const link = sc.link ?? {};
  for (const k of ['loss', 'duplicate', 'reorder', 'jitter_ms']) if (link[k]) return `link ${k}`;
  for (const e of trace.events) {
    if (e.kind === 'drop') return 'a segment is dropped';
    if (e.kind === 'discard') return 'a segment is discarded';
    if (e.kind === 'deliver' && e.duplicate) return 'a segment is duplicated';
    if (e.kind === 'send' && e.injected) return 'a segment is injected';
  }
  return null;
}

/**
 * The segments a capture at `host` holds, in file order: its sends and what was delivered to it.
 * What it tried to send while its own cable was unplugged never reaches its capture point (Linux
 * drops it before the packet taps, docs/CAPTURES.md).
 */
export function packetsAt(trace, host) {
  return capturedAt(trace, host).map((e) => e.seg);
}

/** The same as send events ({seg, t_us, host, ...}, the sender's event for each packet). */
export function capturedAt(trace, host) {
  const sends = new Map();
  const out = [];
  let unplugged = false;
  for (const e of trace.events) {
    if (e.kind === 'action' && e.host === host) {
      if (e.action === 'unplug') unplugged = true;
      else if (['plug', 'crash', 'reboot'].includes(e.action)) unplugged = false;
    } else if (e.kind === 'send') {
      sends.set(e.seg.id, e);
      if (e.host === host && !unplugged) out.push(e);
    } else if (e.kind === 'deliver' && e.host === host) out.push(sends.get(e.seg_id));
  }
  return out;
}

/**
 * The export's default capture point, by the rule docs/CAPTURES.md states: a host that accepted
 * more than one connection (answered bare SYNs of several 4-tuples with SYN+ACK), the one that
 * accepted the most (the first to accept on a tie); otherwise the host that sent the first bare
 * SYN; otherwise the first host.
 */
export function defaultCapturePoint(trace) {
  const syns = new Set();
  const accepted = new Map();
  let client;
  for (const e of trace.events) {
    if (e.kind !== 'send' || !e.host) continue;
    const f = e.seg.flags.join(',');
    if (f === 'SYN') {
      client ??= e.host;
      syns.add(`${e.seg.src}>${e.seg.dst}`);
    } else if (f === 'SYN,ACK' && syns.has(`${e.seg.dst}>${e.seg.src}`)) {
      if (!accepted.has(e.host)) accepted.set(e.host, new Set());
      accepted.get(e.host).add(`${e.seg.src}|${e.seg.dst}`);
    }
  }
  let server;
  for (const [h, set] of accepted) if (set.size > 1 && (!server || set.size > accepted.get(server).size)) server = h;
  return server ?? client ?? Object.keys(trace.hosts)[0];
}

export const segSig = (s) => `${s.src}>${s.dst} [${s.flags.join(',')}] seq=${s.seq} ack=${s.ack} len=${s.len}`;

const BITS = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 };
export const flagBits = (flags) => flags.reduce((a, f) => a | BITS[f], 0);

// Joins several values of one field (a comment may hold ';', never this).
export const AGG = '\u001f';

export const TSHARK_FIELDS = ['frame.number', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'ip.checksum.status', 'ipv6.src',
  'tcp.checksum.status', '_ws.malformed', '_ws.expert.message', '_ws.expert.severity', 'tcp.analysis.flags', 'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission', 'tcp.analysis.lost_segment',
  'tcp.analysis.duplicate_ack', 'tcp.analysis.keep_alive', 'tcp.analysis.zero_window_probe', 'tcp.analysis.window_update',
  'tcp.analysis.reused_ports', 'frame.interface_name', 'frame.comment', 'pkt_comment'];

/**
 * tshark's reading of every packet (checksums validated). Payload bytes are zeros unless the trace
 * carried text: every port's payload is decoded as plain data, so a port-based guess (e.g. port
 * 5000 as RSL) cannot call our zeros malformed.
 */
export function tshark(file, ports = []) {
  return tsharkRows(execFileSync('tshark', tsharkArgs(file, ports), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 }));
}

/** The same without blocking. */
export function tsharkAsync(file, ports = []) {
  return new Promise((resolve, reject) => {
    execFile('tshark', tsharkArgs(file, ports), { encoding: 'utf8', maxBuffer: 1 << 28 }, (e, stdout) => {
      if (e) reject(new Error(`tshark -r ${file}: ${e.message}`));
      else resolve(tsharkRows(stdout));
    });
  });
}

function tsharkArgs(file, ports) {
  const decodeAs = [...new Set(ports)].slice(0, 40).flatMap((p) => ['-d', `tcp.port==${p},data`]);
  return ['-r', file, '-n', ...decodeAs, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
    '-o', 'tcp.relative_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`,
    ...TSHARK_FIELDS.flatMap((f) => ['-e', f])];
}

function tsharkRows(out) {
  return out.split('\n').filter(Boolean).map((l) => {
    const v = l.split('\t');
    return Object.fromEntries(TSHARK_FIELDS.map((f, i) => [f, v[i] ?? '']));
  });
}

export const portsOf = (pkts) => pkts.flatMap((s) => [s.src, s.dst].map((a) => Number(a.slice(a.lastIndexOf(':') + 1))));

// Wireshark's expert severities (epan/proto.h): comments and chats are information; a warning or
// an error means something is wrong with the packet or the stream.
const PI_WARN = 0x00600000;
const PI_ERROR = 0x00800000;

/**
 * Checks tshark's rows against the segments: no malformed packet, no bad checksum, no expert
 * warning or error, flags, seq, ack and len as the trace says. Returns a list of problems (empty
 * when all is well). (Expert messages also carry the packet comments, so severities are checked,
 * not words in the messages.)
 */
export function decodingProblems(file, rows, pkts) {
  const p = [];
  if (rows.length !== pkts.length) return [`${file}: ${rows.length} packets, expected ${pkts.length}`];
  rows.forEach((r, i) => {
    const s = pkts[i];
    const where = `${file} frame ${i + 1}`;
    if (r['_ws.malformed'] !== '') p.push(`${where}: malformed`);
    // Expert warnings and errors; a RST's "Connection reset" is a warning by design.
    const sev = r['_ws.expert.severity'].split(AGG), msg = r['_ws.expert.message'].split(AGG);
    sev.forEach((v, k) => {
      if (Number(v) < PI_WARN) return;
      if (s.flags.includes('RST') && msg[k] === 'Connection reset (RST)') return;
      p.push(`${where}: expert ${Number(v) >= PI_ERROR ? 'error' : 'warning'}: ${msg[k]}`);
    });
    if (!r['ipv6.src'] && r['ip.checksum.status'] !== '1') p.push(`${where}: IPv4 checksum status ${r['ip.checksum.status']}`);
    if (r['tcp.checksum.status'] !== '1') p.push(`${where}: TCP checksum status ${r['tcp.checksum.status']}`);
    if (Number(r['tcp.flags']) !== flagBits(s.flags)) p.push(`${where}: flags ${r['tcp.flags']}, expected ${s.flags}`);
    if (Number(r['tcp.seq_raw']) !== s.seq) p.push(`${where}: seq ${r['tcp.seq_raw']}, expected ${s.seq}`);
    if (s.flags.includes('ACK') && Number(r['tcp.ack_raw']) !== s.ack) p.push(`${where}: ack ${r['tcp.ack_raw']}, expected ${s.ack}`);
    if (Number(r['tcp.len']) !== s.len) p.push(`${where}: len ${r['tcp.len']}, expected ${s.len}`);
  });
  return p;
}

const tupleOf = (s) => (s.src < s.dst ? `${s.src}|${s.dst}` : `${s.dst}|${s.src}`);

/**
 * The TCP analysis flags Wireshark raises on correct, lossless traffic, frame by frame (1-based):
 *  - reused_ports: a SYN on a 4-tuple an earlier connection used (the lesson reuses a port);
 *  - in a simultaneous open (RFC 9293 Figure 8) Wireshark's heuristics call the SYN+ACK, which
 *    repeats the SYN's sequence number, a retransmission, and the ACK after it, whose window is
 *    the first scaled one, a window update.
 * Anything else on a lossless capture is a defect of the capture.
 */
export function allowedAnalysis(pkts) {
  const allowed = new Map();
  const syns = new Map(); // 4-tuple -> Map(src -> ISN) of the current connection's SYNs
  const synAckSent = new Set();
  pkts.forEach((s, i) => {
    const f = flagBits(s.flags);
    const t = tupleOf(s);
    const frame = i + 1;
    if ((f & 0x17) === 0x02) {
      let m = syns.get(t);
      if (m && m.has(s.src) && m.get(s.src) !== s.seq) {
        allowed.set(frame, ['reused_ports']);
        m = undefined;
      }
      if (!m) syns.set(t, (m = new Map()));
      m.set(s.src, s.seq);
    } else if ((f & 0x17) === 0x12) {
      const m = syns.get(t);
      if (m && m.size === 2 && m.get(s.src) === s.seq) {
        allowed.set(frame, ['retransmission']);
        synAckSent.add(`${t}|${s.src}`);
      }
    } else if (s.len === 0 && (f & 0x07) === 0 && synAckSent.delete(`${t}|${s.src}`)) {
      allowed.set(frame, ['window_update']);
    }
  });
  return allowed;
}

/** Analysis flags tshark raised that correct traffic does not explain (see allowedAnalysis). */
export function analysisProblems(file, rows, pkts) {
  const allowed = allowedAnalysis(pkts);
  const kinds = ['retransmission', 'fast_retransmission', 'spurious_retransmission', 'lost_segment', 'duplicate_ack', 'keep_alive',
    'zero_window_probe', 'window_update', 'reused_ports'];
  const p = [];
  rows.forEach((r, i) => {
    const frame = i + 1;
    if (r['tcp.analysis.flags'] === '') return;
    const got = kinds.filter((k) => r[`tcp.analysis.${k}`] !== '');
    const ok = allowed.get(frame) ?? [];
    if (got.length === 0 || got.some((k) => !ok.includes(k))) p.push(`${file} frame ${frame}: tcp.analysis ${got.join(',') || '?'}: ${r['_ws.expert.message']}`);
  });
  return p;
}

/** The section header's comment (capinfos "Capture comment"). */
export function captureComment(file) {
  const out = execFileSync('capinfos', ['-k', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /Capture comment:\s*([\s\S]*?)\n(?:\S|$)/.exec(out);
  return m ? m[1] : '';
}

const tupleOfConn = (conn) => {
  const [l, r] = conn.split('>');
  return l < r ? `${l}|${r}` : `${r}|${l}`;
};

/**
 * What a capture can show of each connection's states: per connection end ("local>remote"), the
 * states it went through up to the connection's last segment (sent, delivered, dropped or
 * discarded anywhere). Later changes (TIME_WAIT running out, an orphan timing out, a crash with
 * nothing more on the wire) leave no packet, so no capture point sees them.
 * `only` (a set of 4-tuples "a|b") limits the result to the connections a capture point saw.
 */
export function knowableStates(events, only) {
  const segTuple = new Map();
  const last = new Map();
  for (const e of events) {
    if (e.kind === 'send') {
      const t = tupleOf(e.seg);
      segTuple.set(e.seg.id, t);
      last.set(t, e.t_us);
    } else if (e.kind === 'deliver' || e.kind === 'drop' || e.kind === 'discard') {
      const t = segTuple.get(e.seg_id);
      if (t !== undefined) last.set(t, Math.max(last.get(t), e.t_us));
    }
  }
  const out = {};
  for (const e of events) {
    if (e.kind !== 'state' || e.conn.endsWith('>*')) continue;
    const t = tupleOfConn(e.conn);
    if (only && !only.has(t)) continue;
    if (!(e.t_us <= (last.get(t) ?? -1))) continue;
    (out[e.conn] ??= []).push(e.to);
  }
  return out;
}

export const tuplesOf = (pkts) => new Set(pkts.map(tupleOf));

/**
 * Each connection end's last state as far as a capture at `host` can tell, per "local>remote":
 * the capture host's end up to its last segment sent or received on the connection; the peer's
 * end up to the last segment it sent that the capture holds, or the last segment from the capture
 * host that reached it (delivered or thrown away there). Later changes (TIME_WAIT running out, a
 * crash with nothing more on the wire) and segments the capture does not hold say nothing.
 * `captured`: the send events of the packets in the capture (capturedAt), or null for a trace
 * explained from that capture (all its segments are in it).
 */
export function lastKnownStates(events, captured) {
  const ids = captured ? new Set(captured.map((e) => e.seg.id)) : null;
  const sends = new Map();
  const cut = new Map();
  const bump = (conn, t) => cut.set(conn, Math.max(cut.get(conn) ?? -1, t));
  for (const e of events) {
    if (e.kind === 'send') sends.set(e.seg.id, e);
    const id = e.kind === 'send' ? e.seg.id : e.seg_id;
    if (ids && !ids.has(id)) continue;
    const s = sends.get(id);
    if (!s) continue;
    if (e.kind === 'send') bump(`${s.seg.src}>${s.seg.dst}`, e.t_us);
    else if (e.kind === 'deliver' || e.kind === 'discard') bump(`${s.seg.dst}>${s.seg.src}`, e.t_us);
  }
  const out = {};
  for (const e of events)
    if (e.kind === 'state' && !e.conn.endsWith('>*') && e.t_us <= (cut.get(e.conn) ?? -1)) out[e.conn] = e.to;
  return out;
}
