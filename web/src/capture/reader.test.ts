// The browser's capture reader against the same files as the native reader
// (tests/native/capture_reader_test.cpp): <file>.segments.json is what `tcplab explain --segments`
// prints for <file>, and errors.json the native reader's messages for the damaged files.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { CaptureError, capturePoints, parseCapture, readCapture, renderCaptureNote } from './index';
import { ipv6String } from './reader';

const DATA = fileURLToPath(new URL('../../../tests/capture/data/', import.meta.url));
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(DATA + name));

describe('capture reader', () => {
  const goldens = readdirSync(DATA).filter((f) => f.endsWith('.segments.json'));

  it('has the shared golden files', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(10);
  });

  for (const g of goldens) {
    const name = g.replace(/\.segments\.json$/, '');
    it(`reads ${name} exactly as the native reader does`, () => {
      const want: unknown = JSON.parse(readFileSync(DATA + g, 'utf8'));
      const got = readCapture(bytes(name), name);
      // Compare as JSON text: same keys, same order, same numbers.
      expect(JSON.stringify(got)).toBe(JSON.stringify(want));
    });
  }

  it('gives the native error messages, with byte offsets, for damaged files', () => {
    const errors = JSON.parse(readFileSync(DATA + 'errors.json', 'utf8')) as Record<string, string>;
    expect(Object.keys(errors).length).toBeGreaterThanOrEqual(2);
    for (const [name, message] of Object.entries(errors)) {
      let caught: unknown = null;
      try {
        readCapture(bytes(name), name);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CaptureError);
      expect((caught as CaptureError).message).toBe(message);
      expect((caught as CaptureError).offset).toBe(Number(/byte (\d+)/.exec(message)?.[1]));
    }
  });

  it('never throws anything but a CaptureError on truncated or mutated input', () => {
    const orig = bytes('ns-two-sections.pcapng');
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    for (let i = 0; i < 2000; i++) {
      const b = i < orig.length ? orig.slice(0, i) : orig.slice();
      if (i >= orig.length) for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        readCapture(b, 'f');
      } catch (e) {
        expect(e).toBeInstanceOf(CaptureError);
      }
    }
  });

  it('reports progress and resolves through parseCapture', async () => {
    const seen: number[] = [];
    const r = await parseCapture(bytes('normal.pcap'), (f) => seen.push(f), 'normal.pcap');
    expect(r.connections).toHaveLength(1);
    expect(seen.at(-1)).toBe(1);
    await expect(parseCapture(bytes('garbage.bin'), undefined, 'garbage.bin')).rejects.toBeInstanceOf(CaptureError);
  });

  it('groups interfaces into capture points as the explainer does', () => {
    // Two named interfaces that saw the same packets: two capture points, chosen by name.
    const two = capturePoints(readCapture(bytes('two-interfaces.pcapng'), 'two'));
    expect(two.map((p) => [p.choice, p.ids, p.tcp_packets])).toEqual([['client', [0], 11], ['server', [1], 11]]);
    expect(two[0]?.description).toBe('主机 client 的网卡');
    // Unnamed interfaces (one path over three interfaces, two sections): one point each, by id.
    const split = readCapture(bytes('ns-two-sections.pcapng'), 'split');
    expect(capturePoints(split).map((p) => p.choice)).toEqual(['0', '1', '2']);
    expect(split.segments.map((s) => s.iface)).toEqual([0, 1, 0, 1, 0, 2, 2, 2, 2, 2, 2]);
    // The same name in two sections is one capture point.
    const same = capturePoints({ interfaces: [
      { id: 0, linktype: 1, name: 'eth0', packets: 2, tcp_packets: 2 },
      { id: 1, linktype: 1, name: 'eth0', packets: 3, tcp_packets: 3 },
    ] });
    expect(same).toEqual([{ choice: 'eth0', ids: [0, 1], name: 'eth0', tcp_packets: 5 }]);
  });

  it('writes IPv6 addresses as RFC 5952 says', () => {
    const a = new Uint8Array(16);
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = 1;
    expect(ipv6String(a, 0)).toBe('2001:db8::1');
    expect(ipv6String(new Uint8Array(16), 0)).toBe('::');
  });

  it('renders capture notes in both languages', () => {
    const cat = { cap_x: { en: 'port {port} {{1, 0}}', 'zh-CN': '端口 {port}' } };
    expect(renderCaptureNote(cat, 'cap_x', { port: 80 }, 'en')).toBe('port 80 {1, 0}');
    expect(renderCaptureNote(cat, 'cap_x', { port: '80' }, 'zh-CN')).toBe('端口 80');
  });
});
