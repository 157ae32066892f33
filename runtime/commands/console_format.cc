#include "runtime/commands/console_format.h"

#include <cmath>
#include <cstdio>
#include <iterator>

namespace moefab {

std::string FormatDuration(double ns) {
  if (std::isnan(ns)) return "n/a";
  if (ns == 0) return "0 ns";
  struct Unit {
    double scale;
    const char* name;
  };
  static const Unit kUnits[] = {{1, "ns"}, {1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
  const double a = std::fabs(ns);
  // The largest unit that leaves at least 1 after rounding to three significant digits
  // (999.7 ns is 1.00 us, not 1000 ns).
  size_t i = 0;
  while (i + 1 < std::size(kUnits) && a >= kUnits[i + 1].scale * 0.9995) ++i;
  const double v = ns / kUnits[i].scale, av = std::fabs(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, av >= 99.95 ? "%.0f %s" : av >= 9.995 ? "%.1f %s" : "%.2f %s", v, kUnits[i].name);
  return buf;
}

std::string CountOf(uint64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string SummaryLine(uint64_t tokens, const LatencySummary& s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", s.throughput_tokens_per_s);
  return "tokens " + std::to_string(tokens) + " | latency p50 " + FormatDuration(s.p50_ns) + ", p99 " +
         FormatDuration(s.p99_ns) + " | throughput " + buf + " tokens/s (simulated)";
}

std::string GoldenLine(const GoldenCheck& g, const RunOptions& o) {
  if (!g.enabled) {
    return std::string("golden check: skipped (") +
           (o.timing_only ? "a timing-only run: ANALYTIC fidelity with synthetic or trace routing and no weights "
                            "carries no hidden states to compare"
                          : "simulation.skip_golden_check is true") +
           ")";
  }
  return std::string("golden check: ") + (g.match ? "MATCH" : "MISMATCH") + " (" +
         CountOf(g.tokens_checked, "token") + " checked, " + std::to_string(g.tokens_mismatched) + " mismatched)";
}

std::string IdleRanksWarning(uint64_t ranks, uint64_t chips) {
  if (ranks <= chips) return {};
  return "more ranks than chips: " + CountOf(ranks, "rank") + " for " + CountOf(chips, "chip") + ", so " +
         CountOf(ranks - chips, "rank") + " own" + (ranks - chips == 1 ? "s" : "") +
         " no chip and only slow the run down (a rank simulates whole chips); expected at most " +
         std::to_string(chips) + " ranks (mpirun -np " + std::to_string(chips) + ")";
}

}  // namespace moefab
