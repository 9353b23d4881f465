// A large capture made from a real one, and what the browser's capture reader (the wasm module,
// as the page's capture worker runs it) does with it, in Node:
//   node wasm/bench/big-capture.mjs [MB] [--out FILE]     (default 100 MB from normal.pcap)
// Prints the time to read the file's summary (readCaptureInfo) and to explain it as a summary
// (explainCapture, events: false). --out also writes the file.
//
// repeatCapture: the packets of a small pcap (Ethernet, IPv4, one TCP connection, e.g.
// tests/capture/data/normal.pcap) repeated until the file reaches a size, each repetition a new
// connection (another client address and port) 200 ms after the previous one. Used by
// wasm/test/capture.test.mjs and web/e2e/capture.spec.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

/** pcap bytes (little-endian, microseconds) -> a pcap of about `size` bytes. */
export function repeatCapture(src, size) {
    const b = Buffer.from(src);
    if (b.readUInt32LE(0) !== 0xa1b2c3d4 || b.readUInt32LE(20) !== 1)
        throw new Error('expected a little-endian microsecond pcap of Ethernet frames');
    const recs = [];
    for (let o = 24; o + 16 <= b.length; ) {
        const len = b.readUInt32LE(o + 8);
        const frame = b.subarray(o + 16, o + 16 + len);
        if (frame.readUInt16BE(12) !== 0x0800 || frame[23] !== 6 || (frame[14] & 0x0f) !== 5)
            throw new Error(`record at byte ${o}: expected IPv4 (no options) carrying TCP`);
        recs.push({ t: b.readUInt32LE(o) * 1e6 + b.readUInt32LE(o + 4), frame });
        o += 16 + len;
    }
    const client = recs[0].frame.subarray(26, 30).toString('hex') + recs[0].frame.readUInt16BE(34);
    const per = recs.reduce((n, r) => n + 16 + r.frame.length, 0);
    const reps = Math.max(1, Math.ceil((size - 24) / per));
    const out = Buffer.alloc(24 + reps * per);
    b.copy(out, 0, 0, 24);
    let o = 24;
    for (let i = 0; i < reps; i++) {
        const port = 1024 + (i % 60000);
        const ip = [10, 1 + Math.floor(i / 60000), 0, 1];
        for (const r of recs) {
            const t = r.t + i * 200_000;
            out.writeUInt32LE(Math.floor(t / 1e6), o);
            out.writeUInt32LE(t % 1e6, o + 4);
            out.writeUInt32LE(r.frame.length, o + 8);
            out.writeUInt32LE(r.frame.length, o + 12);
            const f = out.subarray(o + 16, o + 16 + r.frame.length);
            r.frame.copy(f);
            // The client's end: source of its segments, destination of the server's.
            const fromClient = f.subarray(26, 30).toString('hex') + f.readUInt16BE(34) === client;
            Buffer.from(ip).copy(f, fromClient ? 26 : 30);
            f.writeUInt16BE(port, fromClient ? 34 : 36);
            o += 16 + r.frame.length;
        }
    }
    return { bytes: out, connections: reps, packets: reps * recs.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const args = process.argv.slice(2);
    const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
    const mb = Number(args.find((a, i) => /^[\d.]+$/.test(a) && args[i - 1] !== '--out') ?? 100);
    const src = fileURLToPath(new URL('../../tests/capture/data/normal.pcap', import.meta.url));
    const big = repeatCapture(readFileSync(src), mb * 1e6);
    if (out) writeFileSync(out, big.bytes);
    console.log(`${out ?? 'capture'}: ${big.bytes.length} bytes, ${big.packets} packets, ${big.connections} connections`);

    const generated = new URL('../../web/src/generated/', import.meta.url);
    const { default: createTcplab } = await import(new URL('tcplab.mjs', generated).href);
    const mod = await createTcplab({ wasmBinary: readFileSync(fileURLToPath(new URL('tcplab.wasm', generated))) });
    let t0 = performance.now();
    let calls = 0;
    const info = JSON.parse(mod.readCaptureInfo(big.bytes, 'big.pcap', () => calls++));
    const read = (performance.now() - t0) / 1000;
    console.log(`readCaptureInfo: ${read.toFixed(2)} s (${Math.round(big.packets / read)} packets/s), ` +
        `${info.connections.length} connections, ${calls} progress calls`);
    t0 = performance.now();
    const summary = JSON.parse(mod.explainCapture(big.bytes, JSON.stringify({ file: 'big.pcap', events: false })));
    const explain = (performance.now() - t0) / 1000;
    console.log(`explainCapture (summary): ${explain.toFixed(2)} s (${Math.round(big.packets / explain)} packets/s), ` +
        `${summary.capture.connections.length} connections`);
}
