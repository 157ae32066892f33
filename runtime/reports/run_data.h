// The inputs of the human-facing reports (CSV, HTML, Chrome trace) and the figures derived
// from them. ReportInput only borrows the run's data (the caller keeps it alive while the
// writers run) and adds what the runtime produces just for the reports: the trace events.
// Everything else a report shows is derived here from the merged RankReport, never stored
// twice, so the reports and results.json cannot disagree (same makespan, same utilisation
// formula). Omits: host-dependent figures beyond HostInfo.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"
#include "fabric/torus.h"
#include "runtime/config/options.h"
#include "runtime/plan/cluster_plan.h"
#include "runtime/results/rank_report.h"
#include "runtime/results/results.h"

namespace moefab {

/// One span of simulated time on a named track, for the Chrome/Perfetto trace.
/// A track of three words or more ("chip 3 slot 5") is thread "slot 5" of process
/// "chip 3"; a shorter track ("token 12") is thread "token 12" of process "tokens"
/// (the first word plus "s").
struct TraceEvent {
  std::string name;                                       // what happened, e.g. "L3 E17" or "expert phase"
  std::string category;                                   // Chrome "cat", e.g. "expert", "token", "link"
  std::string track;                                      // e.g. "chip 3 slot 5", "token 12"
  Tick start_ps = 0;                                      // simulated start
  Tick duration_ps = 0;                                   // simulated duration
  std::vector<std::pair<std::string, std::string>> args;  // shown as text in the viewer
};

/// Everything the report writers read. References are borrowed: the referents must outlive
/// the ReportInput. Build it with MakeReportInput so `summary` matches `merged`.
struct ReportInput {
  const RunOptions& options;
  const ClusterPlan& plan;   // placement, expert formats
  const RankReport& merged;  // merged over ranks, sorted by token id / link / node
  LatencySummary summary;    // Summarise(merged)
  const GoldenCheck& golden;
  const QuantErrorSummary& quant;
  const HostInfo& host;
  std::vector<TraceEvent> trace;  // may be empty: then trace.json has metadata only
};

/// Bundles the run's data and computes the summary.
ReportInput MakeReportInput(const RunOptions& options, const ClusterPlan& plan, const RankReport& merged,
                            const GoldenCheck& golden, const QuantErrorSummary& quant, const HostInfo& host,
                            std::vector<TraceEvent> trace = {});

// ---- Derived figures (shared by the writers and their tests) ----

/// Denominator of every utilisation figure: the makespan, at least 1 ps (as results.json).
Tick UtilisationSpanPs(const LatencySummary& summary);
/// Busy (serialisation) time over the makespan, 0..1.
double LinkUtilisation(const LinkRecord& link, const LatencySummary& summary);
/// Attention: core busy; expert: time with a job in a slot; over the makespan.
double ChipBusyFraction(const ChipRecord& chip, const LatencySummary& summary);
/// Sum of job start->done times over the makespan: slots busy on average.
double ChipMeanActiveSlots(const ChipRecord& chip, const LatencySummary& summary);
const char* ChipKindName(ChipKind kind);  // "attention", "expert"

/// The run's torus, for node coordinates. Empty torus_dims (hand-made inputs) is taken as a
/// ring of num_nodes (at least 1) nodes.
fabric::Torus TorusOf(const RunOptions& options);
/// "+x", "-x", "+y", "-y", "+z", "-z" for ports 0..5.
std::string PortName(fabric::PortId port);

/// Mean per-token breakdown in ns; the parts add up to the mean latency.
struct BreakdownNs {
  double attention_ns = 0;
  double gate_ns = 0;
  double expert_phase_ns = 0;
  double combine_ns = 0;
  double core_queue_ns = 0;
  [[nodiscard]] double total_ns() const {
    return attention_ns + gate_ns + expert_phase_ns + combine_ns + core_queue_ns;
  }
};
BreakdownNs MeanBreakdownNs(const RankReport& merged);

/// Latencies (end - start) in ps, ascending.
std::vector<Tick> SortedLatenciesPs(const RankReport& merged);

/// Tokens finished in [begin_ps, end_ps). The last bin also holds tokens ending at its end.
struct ThroughputBin {
  Tick begin_ps = 0;  // absolute simulated time
  Tick end_ps = 0;
  uint64_t tokens = 0;      // tokens whose end_ps falls in the bin
  double tokens_per_s = 0;  // tokens / bin width (simulated seconds)
};
/// `num_bins` equal bins over [first token start, last token end] (at least 1 ps wide each).
/// Empty when there are no tokens or num_bins is 0.
std::vector<ThroughputBin> ThroughputOverTime(const RankReport& merged, uint32_t num_bins);

/// Jobs of (layer, expert) from merged.expert_jobs; 0 when out of range.
uint64_t ExpertJobs(const ReportInput& in, uint32_t layer, uint32_t expert);

}  // namespace moefab
