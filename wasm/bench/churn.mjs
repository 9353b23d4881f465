// The connection-churn benchmark (bench/WORKLOAD.md) on the WebAssembly build, in Node:
//   node wasm/bench/churn.mjs [N ...]        (default: 1000 10000 100000, median of 3 runs)
// Prints connections per wall second, as `tcplab bench churn` does natively.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const generated = new URL('../../web/src/generated/', import.meta.url);
const { default: createTcplab } = await import(new URL('tcplab.mjs', generated).href);
const wasmBinary = readFileSync(fileURLToPath(new URL('tcplab.wasm', generated)));
const mod = await createTcplab({ wasmBinary });

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const n of sizes.length ? sizes : [1000, 10000, 100000]) {
  const runs = [];
  let last;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    last = JSON.parse(mod.benchChurn(n));
    runs.push((performance.now() - t0) / 1000);
  }
  runs.sort((a, b) => a - b);
  const wall = runs[1];
  if (last.completed !== n) {
    console.error(`N=${n}: only ${last.completed} connections completed`);
    process.exitCode = 1;
  }
  console.log(
    `N=${n}: completed ${last.completed}, wall ${wall.toFixed(3)} s (median of 3), ` +
      `${Math.round(last.completed / wall)} connections/s, ${Math.round(last.events / wall)} events/s, ` +
      `${(last.segments / n).toFixed(2)} segments/connection, peak TIME_WAIT ${last.peak_time_wait}`,
  );
}
