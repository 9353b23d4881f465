// Types of big-capture.mjs for the TypeScript tests (web/e2e/capture.spec.ts).
/** pcap bytes (little-endian, microseconds, Ethernet, IPv4) -> a pcap of about `size` bytes. */
export function repeatCapture(src: Uint8Array, size: number): { bytes: Buffer; connections: number; packets: number };
