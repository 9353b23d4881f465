// Fact queries (docs/LESSONS.md "Fact queries"): {"fact": "state", "host": "server"} evaluated
// over the trace gives a value and the event that shows it (its evidence).
#pragma once

#include "match.hpp"

namespace tcplab::lesson::detail {

// Evaluates query `q`. `scope_first` is where matchers with the default scope start searching,
// `scope_last` the default "at" moment. Returns {"value": v, "evidence": index or null}.
ojson evaluate(const json& q, const TraceIndex& ti, std::size_t scope_first, std::size_t scope_last,
               const std::string& file, const std::string& pointer);

}  // namespace tcplab::lesson::detail
