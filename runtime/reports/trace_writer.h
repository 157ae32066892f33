// trace.json: the run's TraceEvents in the Chrome trace-event format (JSON object form),
// which Perfetto (ui.perfetto.dev, also offline builds) and chrome://tracing open. Each
// TraceEvent becomes one complete ("X") event; "ts"/"dur" are microseconds printed as exact
// decimals of the integer ps ticks. Tracks become named processes and threads through "M"
// metadata events (process_name, thread_name, *_sort_index), numbered in natural order
// ("chip 2" before "chip 10"), so the same input gives the same bytes.
// Omits: flow arrows between tracks, counters, instant events, and the binary Perfetto
// protobuf format (large runs make large JSON; the runtime decides what to trace).
#pragma once

#include <string>
#include <vector>

#include "runtime/reports/run_data.h"

namespace moefab {

/// Writes dir/trace.json atomically. Creates `dir`. Throws std::runtime_error on I/O failure.
void WriteChromeTrace(const std::string& dir, const ReportInput& in);

/// The text WriteChromeTrace writes.
std::string ChromeTraceJson(const ReportInput& in);

/// One event per token on track "token <id>" from start to end, with its latency breakdown
/// (ns) as args: a trace the runtime can emit without recording anything extra.
std::vector<TraceEvent> TokenTraceEvents(const RankReport& merged);

}  // namespace moefab
