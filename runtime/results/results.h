// results.json: the run's simulated results (identical for any rank count and mapping) and,
// apart under "host", every figure that depends on the machine or the wall clock.
#pragma once

#include <string>

#include "runtime/config/options.h"
#include "runtime/plan/cluster_plan.h"
#include "runtime/results/rank_report.h"

namespace moefab {

struct GoldenCheck {
  bool enabled = false;         // the check ran
  bool match = false;           // every checked token equal bit for bit
  uint64_t tokens_checked = 0;  // tokens compared
  uint64_t tokens_mismatched = 0;
  int64_t first_mismatch = -1;  // token id of the first mismatch, -1 if none
};

/// Quantisation error of the model's format against the float reference, over a few experts.
struct QuantErrorSummary {
  uint32_t experts = 0;                    // experts measured (0: no float reference available)
  uint32_t samples_per_expert = 0;         // random inputs per expert
  double cosine_min = 0, cosine_mean = 0;  // cosine similarity of y with the float reference
  double max_abs = 0;                      // max abs error (real units)
  double rms = 0;                          // RMS error (real units), mean over experts
};

/// One rank's engine figures (wall-clock: they differ from run to run).
struct RankHost {
  uint64_t events = 0;                  // events handled
  uint64_t credits_without_events = 0;  // fabric credits applied without an event (not in events)
  uint64_t events_sent = 0;             // events this rank sent to other ranks
  uint64_t early_events = 0;            // of events, handled while a window exchange was in flight
  uint32_t nodes = 0;                   // nodes (chips) owned
  double work_seconds = 0;              // handling events
  double background_seconds = 0;        // deferred model work done while windows were exchanged
  double wait_seconds = 0;              // waiting for the other ranks
};

struct HostInfo {
  uint32_t ranks = 1;                // MPI ranks
  double wall_seconds = 0;           // whole run (build + simulate + check), rank 0
  double simulate_wall_seconds = 0;  // engine run, max over ranks
  uint64_t windows = 0;              // synchronisation windows
  uint64_t events_sent = 0;          // events that crossed ranks
  Tick lookahead_ps = 0;             // static window length; 0 = unbounded
  std::string transport = "mpi";
  std::string sync;                // "windows", "async" or "none" (one rank)
  std::string rank_mapping;        // "block" or "round-robin"
  double peak_rss_mbytes = 0;      // largest resident set of any rank (MiB)
  // Windows on several ranks (runtime/pdes/window_record.h): the sum over windows of the busiest
  // rank's work (the least time the windows' work takes, however cheap the exchange) and every
  // rank's work in windows over it (the parallelism the windows leave, at most `ranks`).
  double critical_path_seconds = 0;
  double window_parallelism = 0;
  uint64_t windows_per_record = 0;  // windows merged per record (1: exact)
  std::vector<RankHost> per_rank;  // in rank order
};

/// The busiest rank's busy time (work + deferred work) over the mean; 1.0 without ranks.
double LoadImbalance(const HostInfo& host);

struct LatencySummary {
  double p50_ns = 0, p90_ns = 0, p99_ns = 0, max_ns = 0, mean_ns = 0;
  double throughput_tokens_per_s = 0;  // simulated
  Tick makespan_ps = 0;                // first token start -> last token end
};

LatencySummary Summarise(const RankReport& merged);

const char* FidelityName(Fidelity f);

std::string ResultsJson(const RunOptions& options, const ClusterPlan& plan, const RankReport& merged,
                        const GoldenCheck& golden, const QuantErrorSummary& quant, const HostInfo& host);

/// Writes `text` to `dir/name` through a temporary file and a rename, so a reader never sees
/// a half-written file. Creates `dir` if needed. Throws std::runtime_error on I/O failure.
void WriteFileAtomically(const std::string& dir, const std::string& name, const std::string& text);

}  // namespace moefab
