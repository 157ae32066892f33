// What the commands print on the console, in words a person reads at a glance: durations with
// an auto-scaled unit (40.1 ms, not 40109890.6 ns), counts with the right grammatical number
// (1 rank, 2 ranks), and the golden check's line saying why it was skipped.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/config/options.h"
#include "runtime/results/results.h"

namespace moefab {

/// `ns` in the largest unit (ns, us, ms, s) that leaves at least 1, three significant digits:
/// 812 ns, 5.36 us, 40.1 ms, 2.50 s. 0 is "0 ns"; negative values keep their sign.
std::string FormatDuration(double ns);

/// "1 rank", "2 ranks", "0 tokens" (`noun` singular; the plural adds s).
std::string CountOf(uint64_t n, const std::string& noun);

/// "tokens 64 | latency p50 5.36 us, p99 9.17 us | throughput 1339517 tokens/s (simulated)".
std::string SummaryLine(uint64_t tokens, const LatencySummary& s);

/// "golden check: MATCH (64 tokens checked, 0 mismatched)", or for a run without the check
/// "golden check: skipped (<why>)".
std::string GoldenLine(const GoldenCheck& g, const RunOptions& o);

/// The warning for a run on more ranks than chips (every rank simulates whole chips, so the
/// extra ranks idle and only slow the windows down), or empty when ranks <= chips.
std::string IdleRanksWarning(uint64_t ranks, uint64_t chips);

}  // namespace moefab
