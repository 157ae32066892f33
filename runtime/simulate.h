// One simulation on the ranks of a Transport: build this rank's nodes, run the engine, check
// the tokens against the golden model and merge the statistics on rank 0. No files, no CLI:
// `moefab run` (run.cc) and the tests call this.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

#include "runtime/config/options.h"
#include "runtime/results/rank_report.h"
#include "runtime/results/results.h"
#include "runtime/transport/transport.h"

namespace moefab {

struct SimulationOutcome {
  RankReport merged;   // rank 0 only: every rank's statistics merged
  GoldenCheck golden;  // all ranks
  QuantErrorSummary quant;  // rank 0
  HostInfo host;       // rank 0: wall-clock and engine figures (wall_seconds is left 0)
};

/// results.json text of an outcome (rank 0).
std::string ResultsJson(const RunOptions& options, const SimulationOutcome& out);

/// Collective over `transport`. Every rank must pass equal options.
SimulationOutcome Simulate(const RunOptions& options, Transport& transport,
                           std::shared_ptr<spdlog::logger> log);

}  // namespace moefab
