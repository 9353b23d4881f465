/**
 * The capture worker's side of the conversation, without the Worker itself (worker.ts is the glue;
 * client.ts the page's side), so it runs in Node too (client.test.ts).
 *
 * One worker holds one capture file. The page sends requests, each with an id, and gets replies
 * with the same id, in order:
 *
 *   open    {source: Blob | Uint8Array, file}  -> progress {done, total}*, then opened {json}
 *                                               (CaptureOverview: the reader's summary, wasm
 *                                               readCaptureInfo, with a count for its connections)
 *   explain {options}                          -> explained {json}  (a trace, wasm explainCapture)
 *   connections {interface, offset, limit}     -> connections {json} (ConnectionPage: the explainer's
 *                                               connections at that capture point, a page of them)
 *   read    {}                                 -> read {json}       (with every segment, readCaptureJson)
 *
 * Nothing that grows with the packets or the connections crosses to the page unasked: a capture
 * of 100 000 connections sends the page a page of 500 at a time.
 *
 * or error {message, offset}: the engine's "<file>: byte N: what", offset N (null when the
 * message names none). The bytes stay in the worker: the page's thread never reads or parses them.
 */
import { CaptureError, captureError, type CaptureModule, type CaptureSummary, type ExplainOptions } from './types';

export type CaptureRequest =
  | { id: number; type: 'open'; source: Blob | Uint8Array; file: string }
  | { id: number; type: 'explain'; options: ExplainOptions }
  | { id: number; type: 'connections'; interface: string; offset: number; limit: number }
  | { id: number; type: 'read' };

export type CaptureReply =
  | { id: number; type: 'progress'; done: number; total: number }
  | { id: number; type: 'opened' | 'explained' | 'connections' | 'read'; json: string }
  | { id: number; type: 'error'; message: string; offset: number | null };

/**
 * Answers requests with the module `load` gives (loaded once, at the first request). Returns the
 * function to call with each request; requests are answered one at a time, in the order received.
 */
export function captureServer(load: () => Promise<CaptureModule>, post: (reply: CaptureReply) => void): (req: CaptureRequest) => Promise<void> {
  let module: Promise<CaptureModule> | undefined;
  let bytes: Uint8Array | undefined;
  let file = 'capture';
  let queue: Promise<void> = Promise.resolve();
  // The explainer's connections per capture point: explaining a large file takes a while, paging
  // through its connections should not.
  let explained = new Map<string, ExplainedConnection[]>();

  const answer = async (req: CaptureRequest): Promise<void> => {
    const { id } = req;
    try {
      module ??= load();
      const m = await module;
      if (req.type === 'open') {
        bytes = undefined;
        explained = new Map();
        file = req.file;
        const b = req.source instanceof Uint8Array ? req.source : new Uint8Array(await req.source.arrayBuffer());
        const json = m.readCaptureInfo(b, file, (done, total) => post({ id, type: 'progress', done, total }));
        bytes = b;
        const { connections, ...rest } = JSON.parse(json) as CaptureSummary;
        const overview: CaptureOverview = { ...rest, connection_count: connections.length };
        post({ id, type: 'opened', json: JSON.stringify(overview) });
        return;
      }
      if (!bytes) throw new Error('no capture is open');
      if (req.type === 'explain') post({ id, type: 'explained', json: m.explainCapture(bytes, JSON.stringify({ file, ...req.options })) });
      else if (req.type === 'connections') {
        let all = explained.get(req.interface);
        if (!all) {
          all = connections(m.explainCapture(bytes, JSON.stringify({ file, interface: req.interface, events: false })));
          explained.set(req.interface, all);
        }
        const page: ConnectionPage = { total: all.length, offset: req.offset, connections: all.slice(req.offset, req.offset + req.limit) };
        post({ id, type: 'connections', json: JSON.stringify(page) });
      }
      else post({ id, type: 'read', json: m.readCaptureJson(bytes, file) });
    } catch (e) {
      const err = captureError(e instanceof Error ? e.message : String(e), file);
      post({ id, type: 'error', message: err.message, offset: err instanceof CaptureError ? err.offset : null });
    }
  };

  return (req) => (queue = queue.then(() => answer(req)));
}

/** The reader's summary of a file without its connection list: how many it has. */
export type CaptureOverview = Omit<CaptureSummary, 'connections'> & { connection_count: number };

/** One connection as the explainer numbers it (ExplainOptions.connection), for a choice. */
export interface ExplainedConnection {
  id: number;
  client: string;
  server: string;
  segments: number;
}

/** Connections offset .. offset + connections.length - 1 of `total`. */
export interface ConnectionPage {
  total: number;
  offset: number;
  connections: ExplainedConnection[];
}

// Only what a choice needs from the summary trace.
function connections(summaryJson: string): ExplainedConnection[] {
  const trace = JSON.parse(summaryJson) as { capture: { connections: ExplainedConnection[] } };
  return trace.capture.connections.map(({ id, client, server, segments }) => ({ id, client, server, segments }));
}
