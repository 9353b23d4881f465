// What the capture tests share (tests/capture/*.test.mjs and web/e2e/capture.spec.ts): the
// binary, tshark with the fields they read, the packets a capture point sees, which lessons are
// lossless, the analysis flags Wireshark raises on correct traffic, and the states a capture can
// show. Nothing here skips: a missing binary, tool or data folder is an error.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** The segments a capture at `host` holds, in file order: its sends and what was delivered to it. */
export function packetsAt(trace, host) {
  const segs = new Map();
  const out = [];
  for (const e of trace.events) {
    if (e.kind === 'send') {
      segs.set(e.seg.id, e.seg);
      if (e.host === host) out.push(e.seg);
    } else if (e.kind === 'deliver' && e.host === host) out.push(segs.get(e.seg_id));
  }
  return out;
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
  const decodeAs = [...new Set(ports)].slice(0, 40).flatMap((p) => ['-d', `tcp.port==${p},data`]);
  const out = execFileSync('tshark', ['-r', file, '-n', ...decodeAs, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
    '-o', 'tcp.relative_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`,
    ...TSHARK_FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
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
