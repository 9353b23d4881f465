// Types of lib.mjs, for the TypeScript that imports it (web/e2e/capture.spec.ts).
export interface Seg { id: number; src: string; dst: string; flags: string[]; seq: number; ack: number; win: number; len: number }
export interface TraceEvent { t_us: number; kind: string; host?: string; conn?: string; seg?: Seg; seg_id?: number; to?: string; [k: string]: unknown }
export interface Trace { hosts: Record<string, { ip: string }>; events: TraceEvent[]; [k: string]: unknown }
export type Row = Record<string, string>;

export const ROOT: string;
export const BIN: string;
export function requireTools(): void;
export function tcplab(...args: string[]): { status: number | null; stdout: Buffer; stderr: Buffer };
export function tcplabOk(...args: string[]): Buffer;
export function tcplabAsync(...args: string[]): Promise<Buffer>;
export function pool<T, R>(items: T[], fn: (item: T, index: number) => Promise<R>, width?: number): Promise<R[]>;
export function lessonIds(): string[];
export function lessonTrace(id: string): Trace;
export function lessonDoc(id: string): Record<string, unknown>;
export function lossy(trace: Trace, lesson: Record<string, unknown>): string | null;
export function packetsAt(trace: Trace, host: string): Seg[];
export function capturedAt(trace: Trace, host: string): TraceEvent[];
export function defaultCapturePoint(trace: Trace): string;
export function segSig(s: Seg): string;
export function flagBits(flags: string[]): number;
export const TSHARK_FIELDS: string[];
export function tshark(file: string, ports?: number[]): Row[];
export function tsharkAsync(file: string, ports?: number[]): Promise<Row[]>;
export function portsOf(pkts: Seg[]): number[];
export function decodingProblems(file: string, rows: Row[], pkts: Seg[]): string[];
export function allowedAnalysis(pkts: Seg[]): Map<number, string[]>;
export function analysisProblems(file: string, rows: Row[], pkts: Seg[]): string[];
export function captureComment(file: string): string;
export function knowableStates(events: TraceEvent[], only?: Set<string>): Record<string, string[]>;
export function tuplesOf(pkts: Seg[]): Set<string>;
export function lastKnownStates(events: TraceEvent[], captured: TraceEvent[] | null): Record<string, string>;
