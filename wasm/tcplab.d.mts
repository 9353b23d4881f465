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
    // (declared here when that file provides them)
}

/** Instantiates the module. In a browser or under Vite no options are needed. */
declare function createTcplab(options?: TcplabModuleOptions): Promise<TcplabModule>;
export default createTcplab;
