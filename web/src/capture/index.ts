/**
 * Captures in the browser: read a pcap/pcapng file dropped by the user, explain it, and turn a
 * trace into a downloadable capture. Documented in docs/CAPTURES.md ("Web API").
 *
 *   parseCapture(bytes, onProgress?, file?)  -> Promise<ParsedCapture>   (TS reader, in a Web Worker)
 *   capturePoints(parsed)                    -> CapturePoint[]           (interfaces, as explain groups them)
 *   explainCapture(module, bytes, options?)  -> trace object             (C++ explain through wasm)
 *   captureFile(module, doc, options?)       -> Blob                     ("Download capture", = `tcplab pcap`)
 *   captureHosts(module, doc)                -> { hosts, default }       (where a capture can be taken)
 *   renderCaptureNote(catalog, code, args, lang) -> string               (note text, en / zh-CN)
 *
 * The reader runs in a Worker when the page can start one, so a capture of a million packets
 * never freezes the page; elsewhere (Node, Vitest) it runs inline.
 */
import { CaptureError, readCapture } from './reader';
import type { CaptureInterface, ParsedCapture } from './reader';
import type { WorkerReply, WorkerRequest } from './worker';

export { CaptureError, readCapture, SKIP_REASONS } from './reader';
export type { CaptureConnection, CaptureInterface, CapturedSegment, ParsedCapture, SegmentOptions, SkipReason } from './reader';

/** Called with the fraction read so far, 0..1. */
export type CaptureProgress = (fraction: number) => void;

let nextId = 1;

/**
 * Reads a capture off the main thread. Rejects with a CaptureError ("<file>: byte N: what",
 * `.offset` = N) for a damaged file. `bytes` is copied, so the caller keeps its buffer.
 */
export function parseCapture(bytes: Uint8Array, onProgress?: CaptureProgress, file = 'capture'): Promise<ParsedCapture> {
  if (typeof Worker === 'undefined') {
    return new Promise((resolve, reject) => {
      try {
        resolve(readCapture(bytes, file, (d, t) => onProgress?.(t === 0 ? 1 : d / t)));
      } catch (e) {
        reject(e);
      }
    });
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    const id = nextId++;
    worker.onmessage = (ev: MessageEvent<WorkerReply>) => {
      const m = ev.data;
      if (m.id !== id) return;
      if (m.type === 'progress') {
        onProgress?.(m.total === 0 ? 1 : m.done / m.total);
        return;
      }
      worker.terminate();
      if (m.type === 'done') resolve(m.result);
      else reject(m.offset === null ? new Error(m.message) : new CaptureError(m.message, m.offset));
    };
    worker.onerror = (ev) => {
      worker.terminate();
      reject(new Error(ev.message || 'capture reader failed'));
    };
    const copy = bytes.slice();
    const req: WorkerRequest = { id, bytes: copy, file };
    worker.postMessage(req, [copy.buffer]);
  });
}

/** What wasm/capture_bindings.cpp adds to the tcplab module. */
export interface CaptureModule {
  /** Trace JSON text; throws an Error "<file>: byte N: what" for a damaged file. */
  explainCapture(bytes: Uint8Array, optionsJson: string): string;
  /** The reader's JSON (the same as ParsedCapture) from the native reader. */
  readCaptureJson(bytes: Uint8Array, file: string): string;
  /** pcapng or pcap bytes for a trace or a resolved lesson ({trace, steps}): tcplab::export_capture. */
  writeCapture(docJson: string, optionsJson: string): Uint8Array;
  /** '{"hosts": [{"name", "ip"}], "default": ["client"]}' for a trace or resolved lesson. */
  captureHosts(docJson: string): string;
  /** { code: { en, "zh-CN" } } */
  captureNoteCatalog(): string;
}

export interface ExplainOptions {
  /** Names the capture (title, error messages). */
  file?: string;
  /** Only this connection (1-based). */
  connection?: number;
  /** false: connections and note counts only (for huge captures). */
  events?: boolean;
  /** The hosts ignore RST in TIME_WAIT (Linux sysctl tcp_rfc1337=1). */
  tcp_rfc1337?: boolean;
  /**
   * A file with several interfaces is explained at one capture point: "" (automatic), "all", an
   * interface id ("0", "1", … as Wireshark numbers them) or an interface name
   * (`tcplab explain --interface`). The trace's `capture.interface` says which were read.
   */
  interface?: string;
}

/** One capture point of a file: an interface, or the interfaces that share one if_name. */
export interface CapturePoint {
  /** What to pass as ExplainOptions.interface: the name, or the id of an unnamed interface. */
  choice: string;
  /** Interface ids, ascending. */
  ids: number[];
  name?: string;
  description?: string;
  tcp_packets: number;
}

/**
 * The capture points of a file, as the explainer groups interfaces (select_capture_interfaces in
 * core/src/capture_read.cpp): interfaces with the same non-empty name are one point (the same
 * interface in several sections); an unnamed interface is a point of its own.
 */
export function capturePoints(parsed: { interfaces: CaptureInterface[] }): CapturePoint[] {
  const points: CapturePoint[] = [];
  const byName = new Map<string, CapturePoint>();
  for (const f of parsed.interfaces) {
    const same = f.name ? byName.get(f.name) : undefined;
    if (same) {
      same.ids.push(f.id);
      same.tcp_packets += f.tcp_packets;
      continue;
    }
    const p: CapturePoint = { choice: f.name ?? String(f.id), ids: [f.id], tcp_packets: f.tcp_packets };
    if (f.name) { p.name = f.name; byName.set(f.name, p); }
    if (f.description) p.description = f.description;
    points.push(p);
  }
  return points;
}

/** Explains a capture with the engine's observer (C++ through wasm). Returns the trace object. */
export function explainCapture(module: CaptureModule, bytes: Uint8Array, options: ExplainOptions = {}): Record<string, unknown> {
  return JSON.parse(module.explainCapture(bytes, JSON.stringify(options))) as Record<string, unknown>;
}

export interface CaptureFileOptions {
  format?: 'pcapng' | 'pcap';
  /** Language of comments: "en" or "zh-CN". */
  lang?: 'en' | 'zh-CN';
  /** Host names to capture at; default the export's (a server that accepted several connections, else the client, the host that sent the first SYN); "all": every host, one interface each (pcapng only). */
  at?: string[] | 'all';
  /** Comment dropped / discarded segments (default true). */
  remarks?: boolean;
}

/** A trace, or a resolved lesson whose steps' narration goes into packet comments. */
export type CaptureDoc = { events: unknown[] } | { trace: unknown; steps?: unknown[] };

/**
 * The capture file for a trace or a lesson being played, ready for a download link
 * (URL.createObjectURL): the export `tcplab pcap` writes, byte for byte, with the same options.
 */
export function captureFile(module: CaptureModule, doc: CaptureDoc, options: CaptureFileOptions = {}): Blob {
  const bytes = module.writeCapture(JSON.stringify(doc), JSON.stringify(options));
  const type = options.format === 'pcap' ? 'application/vnd.tcpdump.pcap' : 'application/x-pcapng';
  return new Blob([bytes.slice()], { type });
}

export interface CaptureHosts {
  hosts: { name: string; ip: string }[];
  /** The export's default capture point (a server that accepted several connections, else the client). */
  default: string[];
}

/** Where a capture of this trace or lesson can be taken, and where it is by default. */
export function captureHosts(module: CaptureModule, doc: CaptureDoc): CaptureHosts {
  return JSON.parse(module.captureHosts(JSON.stringify(doc))) as CaptureHosts;
}

export type NoteCatalog = Record<string, { en: string; 'zh-CN': string }>;

/** A capture note's text with its args filled in ({name}; "{{" and "}}" are literal braces). */
export function renderCaptureNote(catalog: NoteCatalog, code: string, args: Record<string, unknown>, lang: 'en' | 'zh-CN'): string {
  const entry = catalog[code];
  if (!entry) return code;
  const t = entry[lang] ?? entry.en;
  return t.replace(/\{\{|\}\}|\{([a-z_]+)\}/g, (m, name: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const v = name === undefined ? undefined : args[name];
    if (v === undefined) return m;
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}
