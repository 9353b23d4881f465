/**
 * The page's side of the capture worker (protocol.ts): open a file once, then ask for its
 * explanations. Reading and explaining run in a Web Worker with its own wasm module, so the page's
 * thread never reads a capture's bytes, and a 100 MB capture never blocks it.
 *
 *   const cap = await openCapture(file, { file: file.name, onProgress: (f) => bar.value = f });
 *   cap.info                        // interfaces, packets, connection_count (no segments)
 *   capturePoints(cap.info)         // where it was captured
 *   await cap.connections('client', 0, 500)   // {total, offset, connections: [{id, client, server, segments}]}
 *   await cap.explain({ interface: 'client', connection: 1 })   // a trace
 *   await cap.read()                // the reader's whole JSON, with every segment
 *   cap.close()                     // ends the worker and frees its memory
 */
import type { CaptureOverview, CaptureReply, CaptureRequest, ConnectionPage } from './protocol';
import { CaptureError, type CaptureProgress, type ExplainOptions, type ParsedCapture } from './types';

/** How the page reaches a capture worker: a Worker (the default) or, in Node, a MessagePort. */
export interface CaptureEndpoint {
  send(req: CaptureRequest, transfer: Transferable[]): void;
  /** onFailure: the worker itself failed (did not load, crashed); every pending request fails. */
  listen(onReply: (reply: CaptureReply) => void, onFailure: (message: string) => void): void;
  close(): void;
}

/** A new Web Worker running worker.ts. */
export function workerEndpoint(): CaptureEndpoint {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return {
    send: (req, transfer) => worker.postMessage(req, transfer),
    listen: (onReply, onFailure) => {
      worker.onmessage = (ev: MessageEvent<CaptureReply>) => onReply(ev.data);
      worker.onerror = (ev) => { ev.preventDefault(); onFailure(ev.message || 'the capture worker failed to start'); };
    },
    close: () => worker.terminate(),
  };
}

/** One end of a MessageChannel whose other end is served by captureServer (tests, Node). */
export function portEndpoint(port: MessagePort): CaptureEndpoint {
  return {
    send: (req, transfer) => port.postMessage(req, transfer),
    listen: (onReply) => { port.onmessage = (ev: MessageEvent<CaptureReply>) => onReply(ev.data); },
    close: () => port.close(),
  };
}

type Body<R> = R extends unknown ? Omit<R, 'id'> : never;
type Pending = { resolve: (json: string) => void; reject: (e: Error) => void; onProgress?: CaptureProgress };

/** A capture file open in its worker. */
export class CaptureFile {
  #endpoint: CaptureEndpoint;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  /** The reader's summary of the file, with a count of its connections (set once open). */
  info!: CaptureOverview;

  private constructor(endpoint: CaptureEndpoint, readonly file: string) {
    this.#endpoint = endpoint;
    endpoint.listen((r) => this.#reply(r), (message) => this.#fail(new Error(message)));
  }

  #reply(r: CaptureReply): void {
    const p = this.#pending.get(r.id);
    if (!p) return;
    if (r.type === 'progress') { p.onProgress?.(r.total === 0 ? 1 : r.done / r.total); return; }
    this.#pending.delete(r.id);
    if (r.type === 'error') p.reject(r.offset === null ? new Error(r.message) : new CaptureError(r.message, r.offset));
    else p.resolve(r.json);
  }

  #fail(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  #request(req: Body<CaptureRequest>, transfer: Transferable[] = [], onProgress?: CaptureProgress): Promise<string> {
    if (this.#closed) return Promise.reject(new Error(`${this.file}: the capture was closed`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      this.#endpoint.send({ ...req, id } as CaptureRequest, transfer);
    });
  }

  /** The explanation (a trace object) of the file with these options (file: this file's name). */
  async explain(options: ExplainOptions = {}): Promise<Record<string, unknown>> {
    return JSON.parse(await this.#request({ type: 'explain', options })) as Record<string, unknown>;
  }

  /**
   * The connections the explainer finds at a capture point ("" automatic, "all", an id or a
   * name), `limit` of them from `offset` (0-based), with their total. The first call for a point
   * explains the file; later pages come from the worker's memory.
   */
  async connections(at = '', offset = 0, limit = 500): Promise<ConnectionPage> {
    return JSON.parse(await this.#request({ type: 'connections', interface: at, offset, limit })) as ConnectionPage;
  }

  /** The reader's whole JSON, every segment included (large for a large capture). */
  async read(): Promise<ParsedCapture> {
    return JSON.parse(await this.#request({ type: 'read' })) as ParsedCapture;
  }

  /** See openCapture. */
  static async open(source: Blob | Uint8Array, options: OpenOptions): Promise<CaptureFile> {
    const cap = new CaptureFile(options.endpoint ?? workerEndpoint(), options.file ?? 'capture');
    const copy = source instanceof Uint8Array ? source.slice() : source;
    const transfer = copy instanceof Uint8Array ? [copy.buffer] : [];
    try {
      cap.info = JSON.parse(await cap.#request({ type: 'open', source: copy, file: cap.file }, transfer, options.onProgress)) as CaptureOverview;
    } catch (e) {
      cap.close();
      throw e;
    }
    return cap;
  }

  /** Ends the worker; pending and later requests fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(new Error(`${this.file}: the capture was closed`));
    this.#endpoint.close();
  }
}

export interface OpenOptions {
  /** Names the file in messages and traces (default "capture"). */
  file?: string;
  /** The fraction read, 0..1, about every MiB. */
  onProgress?: CaptureProgress;
  /** Default: a new Web Worker (workerEndpoint). */
  endpoint?: CaptureEndpoint;
}

/**
 * Opens a capture in a worker and reads its summary. A File / Blob is read by the worker itself;
 * a Uint8Array is copied (the caller keeps its buffer). Rejects with a CaptureError
 * ("<file>: byte N: what", `.offset` N) for a damaged file, and then has closed the worker.
 */
export function openCapture(source: Blob | Uint8Array, options: OpenOptions = {}): Promise<CaptureFile> {
  return CaptureFile.open(source, options);
}

/**
 * Reads a whole capture off the main thread, every segment included, and closes the worker.
 * For a page, openCapture is lighter: it never moves the segments out of the worker.
 */
export async function parseCapture(bytes: Uint8Array, onProgress?: CaptureProgress, file = 'capture', endpoint?: CaptureEndpoint): Promise<ParsedCapture> {
  const cap = await openCapture(bytes, { file, onProgress, endpoint });
  try {
    return await cap.read();
  } finally {
    cap.close();
  }
}
