/**
 * Web Worker front for the capture reader: the page posts the bytes, the worker reads them off
 * the main thread and posts progress, then the result (or the error). See index.ts.
 */
import { CaptureError, readCapture } from './reader';

export type WorkerRequest = { id: number; bytes: Uint8Array; file: string };
export type WorkerReply =
  | { id: number; type: 'progress'; done: number; total: number }
  | { id: number; type: 'done'; result: import('./reader').ParsedCapture }
  | { id: number; type: 'error'; message: string; offset: number | null };

const ctx = self as unknown as {
  onmessage: ((ev: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(msg: WorkerReply): void;
};

ctx.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const { id, bytes, file } = ev.data;
  try {
    const result = readCapture(bytes, file, (done, total) => ctx.postMessage({ id, type: 'progress', done, total }));
    ctx.postMessage({ id, type: 'done', result });
  } catch (e) {
    const offset = e instanceof CaptureError ? e.offset : null;
    ctx.postMessage({ id, type: 'error', message: e instanceof Error ? e.message : String(e), offset });
  }
};
