// Hand-made and synthetic runs for the report writer tests: they own everything a
// ReportInput borrows. Omits: any simulation (the records are written directly).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/reports/run_data.h"

namespace moefab::testing_reports {

struct RunFixture {
  RunOptions options;
  ClusterPlan plan;  // empty: the writers read the placement strategy from options
  RankReport merged;
  GoldenCheck golden;
  QuantErrorSummary quant;
  HostInfo host;
  std::vector<TraceEvent> trace;

  [[nodiscard]] ReportInput Input() const { return MakeReportInput(options, plan, merged, golden, quant, host, trace); }
};

/// A 2x2 torus (node 0 attention, 1-3 expert), 2 layers x 4 experts, 4 tokens with
/// latencies 1, 1.25, 1.5 and 2 us (makespan 2.3 us), three link records (node 0 +x at 50%,
/// node 1 +y at 10%, node 3 -x idle), four chips and three trace events. Values are listed
/// in report_fixture.cc next to the numbers the tests expect.
RunFixture SmallRun();

/// A larger deterministic run on any torus shape: attention chips on every fourth node,
/// `tokens` tokens with skewed latencies, every link and chip recorded, skewed expert load.
RunFixture SyntheticRun(std::vector<uint32_t> dims, uint32_t tokens, uint32_t layers, uint32_t experts, uint64_t seed);

}  // namespace moefab::testing_reports
