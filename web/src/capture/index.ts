/**
 * Captures in the browser: read a pcap/pcapng file dropped by the user, explain it, and turn a
 * trace into a downloadable capture. Documented in docs/CAPTURES.md ("Web API"). One reader: the
 * engine's (core/src/capture/capture_read.cpp) through wasm.
 *
 *   openCapture(file, {file, onProgress})   -> Promise<CaptureFile>      (in a Web Worker: .info, .connections(), .explain(), .read())
 *   parseCapture(bytes, onProgress?, file?) -> Promise<ParsedCapture>    (the same, every segment, then closed)
 *   capturePoints(info)                     -> CapturePoint[]            (interfaces, as explain groups them)
 *   explainCapture(module, bytes, options?) -> trace object              (synchronous, on the caller's thread)
 *   readCapture(module, bytes, file?)       -> ParsedCapture             (synchronous, on the caller's thread)
 *   captureFile(module, doc, options?)      -> Blob                      ("Download capture", = `tcplab pcap`)
 *   captureHosts(module, doc)               -> { hosts, default }        (where a capture can be taken)
 *   renderCaptureNote(catalog, code, args, lang) -> string               (note text, en / zh-CN)
 *
 * The page reads and explains in the worker only (openCapture), so a capture of a million packets
 * never freezes it; the synchronous forms are for Node and tests.
 */
import { captureError, type CaptureInterface, type CaptureModule, type ExplainOptions, type ParsedCapture } from './types';

export { CaptureFile, openCapture, parseCapture, portEndpoint, workerEndpoint } from './client';
export type { CaptureEndpoint, OpenOptions } from './client';
export { captureServer } from './protocol';
export type { CaptureOverview, CaptureReply, CaptureRequest, ConnectionPage, ExplainedConnection } from './protocol';
export { CaptureError, SKIP_REASONS } from './types';
export type {
  CaptureConnection, CaptureInterface, CaptureModule, CaptureProgress, CapturedSegment, CaptureSummary, ExplainOptions, ParsedCapture,
  SegmentOptions, SkipReason,
} from './types';

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
 * core/src/capture/capture_read.cpp): interfaces with the same non-empty name are one point (the same
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

const engineCall = <R>(file: string, f: () => R): R => {
  try {
    return f();
  } catch (e) {
    throw captureError(e instanceof Error ? e.message : String(e), file);
  }
};

/**
 * Explains a capture with the engine's observer, on the caller's thread (a page uses
 * CaptureFile.explain). Returns the trace object; a damaged file throws a CaptureError.
 */
export function explainCapture(module: CaptureModule, bytes: Uint8Array, options: ExplainOptions = {}): Record<string, unknown> {
  return JSON.parse(engineCall(options.file ?? 'capture', () => module.explainCapture(bytes, JSON.stringify(options)))) as Record<string, unknown>;
}

/** The engine's reader on the caller's thread (a page uses openCapture); throws a CaptureError. */
export function readCapture(module: CaptureModule, bytes: Uint8Array, file = 'capture'): ParsedCapture {
  return JSON.parse(engineCall(file, () => module.readCaptureJson(bytes, file))) as ParsedCapture;
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
