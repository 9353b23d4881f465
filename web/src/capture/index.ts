/**
 * Captures in the browser: read a pcap/pcapng file dropped by the user, explain it, and turn a
 * trace into a downloadable capture. Documented in docs/CAPTURES.md ("Web API").
 *
 *   parseCapture(bytes, onProgress?, file?)  -> Promise<ParsedCapture>   (TS reader, in a Web Worker)
 *   explainCapture(module, bytes, options?)  -> trace object             (C++ explain through wasm)
 *   captureFile(module, trace, options?)     -> Blob                     ("Download capture")
 *   renderCaptureNote(catalog, code, args, lang) -> string               (note text, en / zh-CN)
 *
 * The reader runs in a Worker when the page can start one, so a capture of a million packets
 * never freezes the page; elsewhere (Node, Vitest) it runs inline.
 */
import { CaptureError, readCapture } from './reader';
import type { ParsedCapture } from './reader';
import type { WorkerReply, WorkerRequest } from './worker';

export { CaptureError, readCapture, SKIP_REASONS } from './reader';
export type { CaptureConnection, CapturedSegment, ParsedCapture, SegmentOptions, SkipReason } from './reader';

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
  /** pcapng or pcap bytes for a trace. */
  writeCapture(traceJson: string, optionsJson: string): Uint8Array;
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
}

/** Explains a capture with the engine's observer (C++ through wasm). Returns the trace object. */
export function explainCapture(module: CaptureModule, bytes: Uint8Array, options: ExplainOptions = {}): Record<string, unknown> {
  return JSON.parse(module.explainCapture(bytes, JSON.stringify(options))) as Record<string, unknown>;
}

export interface CaptureFileOptions {
  format?: 'pcapng' | 'pcap';
  /** Language of comments: "en" or "zh-CN". */
  lang?: 'en' | 'zh-CN';
  /** Host names to capture at; default the client; ["*"] every host (pcapng only). */
  at?: string[];
  /** Narration per lesson step: comment on the first packet at or after trace event `first`. */
  steps?: { first: number; text: string }[];
  /** Comment dropped / discarded segments (default true). */
  remarks?: boolean;
}

/** The capture file for a trace, ready for a download link (URL.createObjectURL). */
export function captureFile(module: CaptureModule, trace: unknown, options: CaptureFileOptions = {}): Blob {
  const bytes = module.writeCapture(JSON.stringify(trace), JSON.stringify(options));
  const type = options.format === 'pcap' ? 'application/vnd.tcpdump.pcap' : 'application/x-pcapng';
  return new Blob([bytes.slice()], { type });
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
