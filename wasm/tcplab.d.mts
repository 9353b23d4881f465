// Types for the Embind module built from wasm/*.cpp (web/src/generated/tcplab.mjs).
// Emscripten 3.1.6 cannot generate them, so they are written by hand; wasm/test checks that
// every function declared in TcplabModule exists in the built module, and nothing more.
//
// Errors: every function that takes input throws a JS `Error` whose message is the engine's,
// "<file>: <JSON pointer or byte offset>: <what was expected>".

/** Options accepted by the factory (a subset of Emscripten's Module object). */
export interface TcplabModuleOptions {
    /** The .wasm bytes. Needed in Node (node:test, Vitest), where fetch() cannot read file: URLs. */
    wasmBinary?: ArrayBuffer | Uint8Array;
    /** Where to fetch tcplab.wasm from; by default next to tcplab.mjs (Vite handles this). */
    locateFile?: (path: string, scriptDirectory: string) => string;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
}

/** Progress of a capture being read: bytes done, file size. */
export type ReadProgress = (done: number, total: number) => void;

export interface TcplabModule {
    // ---- wasm/bindings.cpp -------------------------------------------------------------------
    /**
     * Runs a scenario, or a lesson file (its "scenario" member), given as JSON text.
     * `file` names the input in error messages. Returns the trace as compact JSON text,
     * byte for byte what `tcplab run --json FILE` prints.
     * @throws Error with the engine's message on invalid input.
     */
    runScenario(text: string, file: string): string;
    /** The engine's version, e.g. "0.1.0". */
    version(): string;
    /**
     * Runs the benchmark workload "tcp-conn-churn v1" with n connections and returns its
     * counters as JSON text ({n, completed, events, segments, peak_time_wait, simulated_s}).
     */
    benchChurn(n: number): string;
    /**
     * The engine's message catalogue as JSON text: what every state, timer, errno, note code and
     * discard reason in a trace means, in "en" and "zh-CN" (note texts are templates with {arg}
     * placeholders filled from the note's args):
     * {"states": {NAME: {"en", "zh-CN"}}, "timers": {...}, "errno": {...}, "notes": {...}, "discard": {...}}
     */
    catalog(): string;

    // ---- wasm/lesson_bindings.cpp ------------------------------------------------------------
    /**
     * Resolves a lesson file given as JSON text: runs its scenario and returns, as compact JSON
     * text, the lesson's metadata, the parameter values used, the engine's trace, the steps as
     * event ranges and the quizzes with their computed answers (see docs/LESSONS.md).
     * `optionsJson` is "" or e.g. '{"params": {...}}' / '{"seed": 7}'.
     * @throws Error with the engine's message on invalid input.
     */
    resolveLesson(text: string, file: string, optionsJson: string): string;

    // ---- wasm/capture_bindings.cpp -----------------------------------------------------------
    /**
     * Explains a real capture (pcap or pcapng bytes): replays it through the engine's observer
     * and returns a trace as JSON text, with inferred states and timers.
     * `optionsJson`: "" or e.g. '{"file": "x.pcap", "connection": 2, "events": true,
     * "interface": "client"}'. A file with several interfaces (capture points) is explained at
     * one of them: `interface` is "" (automatic: the first, or all together when they never saw
     * the same segment), "all", an interface id (0, 1, ... as Wireshark numbers them) or a name.
     * The trace's `capture.interface` says which were read.
     * @throws Error "<file>: byte <offset>: ..." for a malformed capture.
     */
    explainCapture(bytes: Uint8Array, optionsJson: string): string;
    /**
     * Reads a capture into the reader's JSON (interfaces, connections, every decoded TCP segment),
     * as text: what `tcplab explain --segments` prints.
     * @throws Error "<file>: byte <offset>: ..." for a malformed capture.
     */
    readCaptureJson(bytes: Uint8Array, file: string): string;
    /**
     * The reader's JSON without "segments" (format, packets, skipped, interfaces, connections with
     * their segment counts), as text; its memory grows with the connections, not the packets.
     * `onProgress(done, total)` (bytes read, file size) is called about every MiB and at the end.
     * @throws Error "<file>: byte <offset>: ..." for a malformed capture.
     */
    readCaptureInfo(bytes: Uint8Array, file: string, onProgress: ReadProgress | null): string;
    /**
     * The capture export (the same as `tcplab pcap`): writes a trace, or a resolved lesson
     * ({"trace", "steps"}: each step's narration becomes a packet comment), given as JSON text,
     * as a capture Wireshark opens. `optionsJson`: "" or e.g.
     * '{"format": "pcapng" | "pcap", "lang": "zh-CN", "at": ["client"] | "all", "remarks": true}';
     * the default capture point is the client. Returns a copy of the bytes.
     * @throws Error with the engine's message for a trace it cannot write or an unknown option.
     */
    writeCapture(docJson: string, optionsJson: string): Uint8Array;
    /**
     * The hosts a capture can be taken at, and the export's default capture point, for a trace or
     * resolved lesson given as JSON text: '{"hosts": [{"name", "ip"}], "default": ["client"]}'.
     */
    captureHosts(docJson: string): string;
    /** Texts of the capture explainer's notes, {code: {"en", "zh-CN"}}, as JSON text. */
    captureNoteCatalog(): string;
}

/** Instantiates the module. In a browser or under Vite no options are needed. */
declare function createTcplab(options?: TcplabModuleOptions): Promise<TcplabModule>;
export default createTcplab;
