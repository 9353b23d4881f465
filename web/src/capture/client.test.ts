// The capture worker's protocol, end to end without a browser: the page's side (client.ts) talks
// over a MessageChannel to the worker's side (protocol.ts) running the engine's wasm module, as
// the Web Worker does in the page. Needs the wasm build (web/src/generated/); missing is a failure.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { repeatCapture } from '../../../wasm/bench/big-capture.mjs';

import {
  CaptureError, captureServer, capturePoints, explainCapture, openCapture, parseCapture, portEndpoint, readCapture, renderCaptureNote,
  type CaptureFile, type CaptureModule, type CaptureReply, type CaptureRequest,
} from './index';

const DATA = fileURLToPath(new URL('../../../tests/capture/data/', import.meta.url));
const GENERATED = fileURLToPath(new URL('../generated/', import.meta.url));
const bytes = (name: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(DATA + name));

let module: CaptureModule;
beforeAll(async () => {
  for (const f of ['tcplab.mjs', 'tcplab.wasm'])
    expect(existsSync(GENERATED + f), `${GENERATED}${f} is missing: cmake --workflow --preset wasm`).toBe(true);
  const { default: create } = (await import(/* @vite-ignore */ GENERATED + 'tcplab.mjs')) as {
    default: (o: object) => Promise<CaptureModule>;
  };
  module = await create({ wasmBinary: readFileSync(GENERATED + 'tcplab.wasm') });
});

/** A worker in this thread: captureServer on one end of a channel; every reply recorded. */
const opened: CaptureFile[] = [];
const replies: CaptureReply[] = [];
function endpoint(loads = { n: 0 }) {
  const { port1, port2 } = new MessageChannel();
  const serve = captureServer(async () => { loads.n++; return module; }, (r) => { replies.push(r); port2.postMessage(r); });
  port2.onmessage = (ev: MessageEvent<CaptureRequest>) => void serve(ev.data);
  const ep = portEndpoint(port1);
  return { ...ep, close: () => { ep.close(); port2.close(); } };
}
async function open(source: Blob | Uint8Array, file: string, onProgress?: (f: number) => void): Promise<CaptureFile> {
  const cap = await openCapture(source, { file, onProgress, endpoint: endpoint() });
  opened.push(cap);
  return cap;
}
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
  replies.length = 0;
});

const golden = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`${DATA}${name}.segments.json`, 'utf8')) as Record<string, unknown>;

describe('capture worker protocol', () => {
  it('opens a capture: the reader\'s summary, progress up to 1, the bytes left with the caller', async () => {
    const b = bytes('mid-connection.pcap');
    const seen: number[] = [];
    const cap = await open(b, 'mid-connection.pcap', (f) => seen.push(f));
    const { segments: _s, connections, ...want } = golden('mid-connection.pcap');
    expect(cap.info).toEqual({ ...want, connection_count: 3 });
    expect(connections).toHaveLength(3);
    expect(seen.at(-1)).toBe(1);
    expect(b.byteLength).toBe(readFileSync(DATA + 'mid-connection.pcap').length); // copied, not transferred
    // Only the summary crossed: no segment or connection list in any reply.
    expect(replies.some((r) => 'json' in r && /"(segments|connections)":\[/.test(r.json))).toBe(false);
  });

  it('explains in the worker what explainCapture explains on the caller\'s thread', async () => {
    for (const [name, opts] of [['half-close.pcap', {}], ['mid-connection.pcap', { connection: 2 }], ['two-interfaces.pcapng', { interface: 'server' }],
      ['two-interfaces.pcapng', { interface: 'all', events: false }]] as const) {
      const cap = await open(bytes(name), name);
      const trace = await cap.explain(opts);
      expect(trace).toEqual(explainCapture(module, bytes(name), { file: name, ...opts }));
      expect((trace.events as unknown[]).length > 0 || opts.events === false).toBe(true);
    }
  });

  it('lists the explainer\'s connections at a capture point, and only what a choice needs', async () => {
    for (const [name, at, n] of [['mid-connection.pcap', '', 3], ['two-interfaces.pcapng', 'server', 1], ['two-interfaces.pcapng', 'all', 1]] as const) {
      const cap = await open(bytes(name), name);
      const got = await cap.connections(at);
      const summary = explainCapture(module, bytes(name), { file: name, interface: at, events: false });
      const want = (summary.capture as { connections: { id: number; client: string; server: string; segments: number }[] }).connections;
      expect(got.total).toBe(n);
      expect(got.connections).toEqual(want.map(({ id, client, server, segments }) => ({ id, client, server, segments })));
    }
  });

  it('pages through many connections, explaining the file once per capture point', async () => {
    const big = repeatCapture(bytes('normal.pcap'), 250_000);
    expect(big.connections).toBeGreaterThan(250);
    const explains: string[] = [];
    const counting: CaptureModule = { ...module, explainCapture: (b, o) => { explains.push(o); return module.explainCapture(b, o); } };
    const { port1, port2 } = new MessageChannel();
    const serve = captureServer(async () => counting, (r) => port2.postMessage(r));
    port2.onmessage = (ev: MessageEvent<CaptureRequest>) => void serve(ev.data);
    const cap = await openCapture(big.bytes, { file: 'big.pcap', endpoint: portEndpoint(port1) });
    opened.push(cap);
    expect(cap.info.connection_count).toBe(big.connections);
    const pages = [await cap.connections('', 0, 100), await cap.connections('', 100, 100), await cap.connections('', big.connections - 10, 100)];
    expect(pages.map((p) => [p.total, p.offset, p.connections.length])).toEqual([[big.connections, 0, 100], [big.connections, 100, 100], [big.connections, big.connections - 10, 10]]);
    expect(pages.flatMap((p) => p.connections.map((c) => c.id))).toEqual([
      ...Array.from({ length: 200 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => big.connections - 9 + i),
    ]);
    expect(pages[1]?.connections[0]).toEqual({ id: 101, client: '10.1.0.1:1124', server: '127.0.0.1:5000', segments: 11 });
    expect(explains).toHaveLength(1);
    await cap.connections('all', 0, 1);
    expect(explains).toHaveLength(2);
  }, 60_000);

  it('reads every segment on request, as `tcplab explain --segments` prints them', async () => {
    const goldens = readdirSync(DATA).filter((f) => f.endsWith('.segments.json'));
    expect(goldens.length).toBeGreaterThanOrEqual(10);
    for (const g of goldens) {
      const name = g.replace(/\.segments\.json$/, '');
      expect(JSON.stringify(await parseCapture(bytes(name), undefined, name, endpoint())), name).toBe(JSON.stringify(golden(name)));
    }
  });

  it('reads a File (Blob) in the worker', async () => {
    const cap = await open(new Blob([bytes('normal.pcap')]), 'normal.pcap');
    expect(cap.info.tcp_packets).toBe(golden('normal.pcap').tcp_packets);
    expect(cap.info.connection_count).toBe(1);
    expect(((await cap.explain({ events: false })).capture as { connections: unknown[] }).connections).toHaveLength(1);
  });

  it('rejects a damaged file with the engine\'s message and its byte offset, and closes', async () => {
    const errors = JSON.parse(readFileSync(DATA + 'errors.json', 'utf8')) as Record<string, string>;
    expect(Object.keys(errors).length).toBeGreaterThanOrEqual(2);
    for (const [name, message] of Object.entries(errors)) {
      const err = await openCapture(bytes(name), { file: name, endpoint: endpoint() }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(CaptureError);
      expect((err as CaptureError).message).toBe(message);
      expect((err as CaptureError).offset).toBe(Number(/: byte (\d+):/.exec(message)?.[1]));
      // The same message from the synchronous forms.
      expect(() => readCapture(module, bytes(name), name)).toThrow(message);
      expect(() => explainCapture(module, bytes(name), { file: name })).toThrow(CaptureError);
    }
  });

  it('answers requests in order, loads the module once, and refuses work after close', async () => {
    const loads = { n: 0 };
    const cap = await openCapture(bytes('mid-connection.pcap'), { file: 'm.pcap', endpoint: endpoint(loads) });
    const traces = await Promise.all([1, 2, 3].map((connection) => cap.explain({ connection })));
    expect(traces).toEqual([1, 2, 3].map((connection) => explainCapture(module, bytes('mid-connection.pcap'), { file: 'm.pcap', connection })));
    expect(new Set(traces.map((t) => JSON.stringify(t.events))).size).toBe(3);
    expect(loads.n).toBe(1);
    // An explanation the engine refuses: its message, and the file stays open.
    const bad = await cap.explain({ interface: 'eth9' }).then(() => null, (e: unknown) => e);
    expect(bad).toBeInstanceOf(Error);
    expect(bad).not.toBeInstanceOf(CaptureError);
    expect((bad as Error).message).toBe('m.pcap: the capture has no interface "eth9" (its interfaces: 0)');
    expect((await cap.connections()).connections.map((c) => c.id)).toEqual([1, 2, 3]);
    cap.close();
    await expect(cap.explain()).rejects.toThrow('m.pcap: the capture was closed');
  });
});

describe('capture points', () => {
  it('groups interfaces into capture points as the explainer does', async () => {
    // Two named interfaces that saw the same packets: two capture points, chosen by name.
    const two = capturePoints((await open(bytes('two-interfaces.pcapng'), 'two')).info);
    expect(two.map((p) => [p.choice, p.ids, p.tcp_packets])).toEqual([['client', [0], 11], ['server', [1], 11]]);
    expect(two[0]?.description).toBe('主机 client 的网卡');
    // Unnamed interfaces (one path over three interfaces, two sections): one point each, by id.
    expect(capturePoints((await open(bytes('ns-two-sections.pcapng'), 'split')).info).map((p) => p.choice)).toEqual(['0', '1', '2']);
    // The same name in two sections is one capture point.
    const same = capturePoints({ interfaces: [
      { id: 0, linktype: 1, name: 'eth0', packets: 2, tcp_packets: 2 },
      { id: 1, linktype: 1, name: 'eth0', packets: 3, tcp_packets: 3 },
    ] });
    expect(same).toEqual([{ choice: 'eth0', ids: [0, 1], name: 'eth0', tcp_packets: 5 }]);
  });

  it('renders capture notes in both languages', () => {
    const cat = { cap_x: { en: 'port {port} {{1, 0}}', 'zh-CN': '端口 {port}' } };
    expect(renderCaptureNote(cat, 'cap_x', { port: 80 }, 'en')).toBe('port 80 {1, 0}');
    expect(renderCaptureNote(cat, 'cap_x', { port: '80' }, 'zh-CN')).toBe('端口 80');
  });
});
