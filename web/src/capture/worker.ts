/**
 * The capture worker: its own instance of the engine's wasm module, answering the page's requests
 * (protocol.ts) for one capture file. Started by workerEndpoint() in client.ts.
 */
import { captureServer, type CaptureRequest } from './protocol';
import type { CaptureModule } from './types';

// Looked up as engine.ts looks it up, so the page still builds before the module is built; eager:
// the worker has nothing to do without it.
const modules = import.meta.glob<{ default: () => Promise<CaptureModule> }>('../generated/tcplab.mjs', { eager: true });

async function load(): Promise<CaptureModule> {
  const module = modules['../generated/tcplab.mjs'];
  if (!module) throw new Error('the engine (WebAssembly) is not built: cmake --workflow --preset wasm');
  return module.default();
}

const ctx = self as unknown as {
  onmessage: ((ev: MessageEvent<CaptureRequest>) => void) | null;
  postMessage(msg: unknown): void;
};
const serve = captureServer(load, (reply) => ctx.postMessage(reply));
ctx.onmessage = (ev) => void serve(ev.data);
