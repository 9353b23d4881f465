// Connections per second of the simulator on the tcp-conn-churn v1 workload
// (shared bench/WORKLOAD.md): N connections, each server side ending in a 60 s TIME-WAIT.
#include "tcplab/churn.hpp"

#include <benchmark/benchmark.h>

namespace {

void BM_Churn(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    tcplab::ChurnResult r;
    for (auto _ : state) {
        r = tcplab::run_churn(n);
        benchmark::DoNotOptimize(r.completed);
    }
    if (r.completed != n) state.SkipWithError("not every connection completed");
    state.counters["conn_per_s"] = benchmark::Counter(
        static_cast<double>(r.completed), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["events_per_s"] = benchmark::Counter(
        static_cast<double>(r.events), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["segs_per_conn"] = static_cast<double>(r.segments) / static_cast<double>(n);
    state.counters["peak_tw"] = static_cast<double>(r.peak_time_wait);
}

BENCHMARK(BM_Churn)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
