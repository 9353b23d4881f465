/**
 * What the engine's capture reader (core/src/capture/capture_read.cpp, through wasm) says about a file:
 * the JSON of tcplab::capture_to_json, as `tcplab explain --segments` prints it, typed.
 */

export type SkipReason = 'linktype' | 'non_ip' | 'short' | 'fragment' | 'udp' | 'icmp' | 'other_ip';
/** The reader's skip reasons, in the order it lists them (tcplab::capture_skip_reasons). */
export const SKIP_REASONS: readonly SkipReason[] = ['linktype', 'non_ip', 'short', 'fragment', 'udp', 'icmp', 'other_ip'];

export interface SegmentOptions {
  mss?: number;
  wscale?: number;
  sack_ok?: true;
  ts?: [number, number];
  sack?: [number, number][];
}

export interface CapturedSegment {
  /** 1-based packet number in the file (every packet counts, TCP or not). */
  frame: number;
  /** Interface id (index into `interfaces`; pcapng numbers them across sections, as Wireshark). */
  iface: number;
  /** Timestamp, microseconds since the Unix epoch. */
  t_us: number;
  /** Index into `connections`. */
  conn: number;
  /** "a>b" when sent by the connection's `a` endpoint. */
  dir: 'a>b' | 'b>a';
  /** Flag names in ascending bit order: FIN, SYN, RST, PSH, ACK, URG, ECE, CWR. */
  flags: string[];
  seq: number;
  ack: number;
  /** Raw window field (not scaled). */
  win: number;
  /** Payload length from the IP header (not limited by the snap length). */
  len: number;
  opts?: SegmentOptions;
}

export interface CaptureConnection {
  /** "ip:port" (IPv6: "[addr]:port") of the endpoint that sent the connection's first segment. */
  a: string;
  b: string;
  segments: number;
}

/** One interface of the file: a pcapng Interface Description Block, or a pcap file's one link. */
export interface CaptureInterface {
  id: number;
  linktype: number;
  /** if_name (draft-ietf-opsawg-pcapng §4.2), when the file gives one. */
  name?: string;
  /** if_description, when the file gives one. */
  description?: string;
  packets: number;
  tcp_packets: number;
}

/** Everything the reader says about a file except its segments (wasm `readCaptureInfo`). */
export interface CaptureSummary {
  format: 'pcap' | 'pcapng';
  linktypes: number[];
  packets: number;
  tcp_packets: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Byte offset of an incomplete last record (the capture was cut short). */
  truncated_at?: number;
  /** Every interface; explaining reads one capture point (see capturePoints). */
  interfaces: CaptureInterface[];
  /** By first appearance, over every interface. */
  connections: CaptureConnection[];
}

/** The reader's whole JSON (wasm `readCaptureJson`): the summary and every TCP segment. */
export interface ParsedCapture extends CaptureSummary {
  segments: CapturedSegment[];
}

/** A damaged file: `message` is "<file>: byte <offset>: <what>", as the engine's reader says it. */
export class CaptureError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

/**
 * The engine's error for a file it cannot read ("<file>: byte N: what") as a CaptureError with
 * `.offset` N; any other message as a plain Error.
 */
export function captureError(message: string, file: string): Error {
  const m = message.startsWith(`${file}: byte `) ? /^(\d+): /.exec(message.slice(file.length + 7)) : null;
  return m ? new CaptureError(message, Number(m[1])) : new Error(message);
}

/** Called with the fraction of the file read so far, 0..1. */
export type CaptureProgress = (fraction: number) => void;

/** Options of an explanation (wasm `explainCapture`, `tcplab explain`). */
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

/** What wasm/capture_bindings.cpp adds to the tcplab module (declared in wasm/tcplab.d.mts). */
export interface CaptureModule {
  /** Trace JSON text; throws an Error "<file>: byte N: what" for a damaged file. */
  explainCapture(bytes: Uint8Array, optionsJson: string): string;
  /** The reader's JSON (ParsedCapture) as text. */
  readCaptureJson(bytes: Uint8Array, file: string): string;
  /** The reader's JSON without segments (CaptureSummary) as text; progress in bytes. */
  readCaptureInfo(bytes: Uint8Array, file: string, onProgress: ((done: number, total: number) => void) | null): string;
  /** pcapng or pcap bytes for a trace or a resolved lesson ({trace, steps}): tcplab::export_capture. */
  writeCapture(docJson: string, optionsJson: string): Uint8Array;
  /** '{"hosts": [{"name", "ip"}], "default": ["client"]}' for a trace or resolved lesson. */
  captureHosts(docJson: string): string;
  /** { code: { en, "zh-CN" } } */
  captureNoteCatalog(): string;
}
