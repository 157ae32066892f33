// One simulation on the ranks of a Transport: build this rank's nodes, run the engine, check
// the tokens against the golden model and merge the statistics on rank 0. No files, no CLI:
// `moefab run` (run.cc) and the tests call this.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

#include "runtime/config/options.h"
#include "runtime/plan/cluster_plan.h"
#include "runtime/results/rank_report.h"
#include "runtime/results/results.h"
#include "runtime/transport/transport.h"

namespace moefab {

struct SimulationOutcome {
  std::shared_ptr<const ClusterPlan> plan;  // what the run computed from its settings
  RankReport merged;                        // rank 0 only: every rank's statistics merged
  GoldenCheck golden;                       // all ranks
  QuantErrorSummary quant;                  // rank 0
  HostInfo host;                            // rank 0: wall-clock and engine figures (wall_seconds is left 0)
};

/// Test hooks: faults the checks of a run must catch.
struct FaultInjection {
  bool sampled_rtl_wrong_weights = false;  // SAMPLED checkers hold one wrong row of weights
};

/// results.json text of an outcome (rank 0).
std::string ResultsJson(const RunOptions& options, const SimulationOutcome& out);

/// Collective over `transport`. Every rank must pass equal options and an equal, unused plan
/// (its fabric is driven by this run).
SimulationOutcome Simulate(const RunOptions& options, std::shared_ptr<ClusterPlan> plan, Transport& transport,
                           std::shared_ptr<spdlog::logger> log, const FaultInjection& faults = {});
/// The same with a plan made here (MakePlan; throws ConfigError).
SimulationOutcome Simulate(const RunOptions& options, Transport& transport, std::shared_ptr<spdlog::logger> log);

}  // namespace moefab
