// sweep.html: one page for a whole `moefab sweep`: a table of the points and the
// area-versus-throughput plane (modelled expert-chip area against simulated tokens/s) with
// its Pareto frontier: the points no other point beats on both (as small or smaller and as
// fast or faster, better on at least one). Written by runtime/commands/cmd_sweep.cc next to
// sweep.csv, from the same rows.
#pragma once

#include <string>
#include <vector>

namespace moefab {

struct SweepRow {
  std::string name;                 // e.g. "point-003"
  std::vector<std::string> values;  // one per axis
  double tokens_per_s = 0;          // simulated throughput
  double p99_ns = 0;                // latency p99
  double expert_transistors = 0;    // modelled, all etched expert chips (0: none modelled)
  double expert_mm2 = 0;
  std::string golden;               // MATCH, MISMATCH or skipped
};

/// Per point: true when it is on the Pareto frontier of (cost: smaller is better, value: larger
/// is better). Equal points are all on it (none is strictly better).
std::vector<bool> ParetoFront(const std::vector<double>& cost, const std::vector<double>& value);

/// The page. `axes`: the swept field paths; `title`: what was swept (the base config).
std::string SweepReportHtml(const std::string& title, const std::vector<std::string>& axes,
                            const std::vector<SweepRow>& rows);

}  // namespace moefab
