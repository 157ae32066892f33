#include "runtime/simulate.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "chips/numerics/float_reference.h"
#include "core/error.h"
#include "core/rng.h"
#include "runtime/checkpoint.h"
#include "runtime/cluster/cluster.h"
#include "runtime/logging.h"
#include "runtime/plan/rank_map.h"
#include "runtime/results/golden_model.h"
#include "runtime/transport/peer_wait.h"

namespace moefab {

namespace {

using Clock = std::chrono::steady_clock;

// A simulated time for people: "812.4 us", "3.05 ms", "1.2 s".
std::string FormatTime(Tick ps) {
  const double s = static_cast<double>(ps) * 1e-12;
  if (s >= 1) return fmt::format("{:.3g} s", s);
  if (s >= 1e-3) return fmt::format("{:.3g} ms", s * 1e3);
  return fmt::format("{:.4g} us", s * 1e6);
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Each rank checks the tokens it homes against the single-process golden model.
GoldenCheck CheckTokens(const RunOptions& options, const ClusterPlan& plan, const RankReport& mine,
                        Transport& transport) {
  GoldenCheck golden;
  golden.enabled = options.golden_check;
  GoldenTally tally;
  if (golden.enabled) tally = CheckAgainstGolden(options, plan, mine.tokens);
  golden.tokens_checked = transport.AllreduceSum(tally.checked);
  golden.tokens_mismatched = transport.AllreduceSum(tally.mismatched);
  const Tick first_bad = transport.AllreduceMin(tally.first_mismatch);
  golden.first_mismatch = first_bad == kTickMax ? -1 : static_cast<int64_t>(first_bad);
  golden.match =
      golden.enabled && golden.tokens_mismatched == 0 && golden.tokens_checked == options.workload.num_tokens;
  return golden;
}

// The format's cost: a few experts of layer 0 against their float reference.
QuantErrorSummary MeasureQuantisation(const RunOptions& options, const ClusterPlan& plan) {
  QuantErrorSummary q;
  ModelData data(options, plan);
  q.samples_per_expert = options.quant_error_samples;
  // Timing-only runs have no weights (the format's cost is measured on weighted runs).
  if (options.timing_only) return q;
  const uint32_t experts = std::min<uint32_t>(options.model.num_experts, 4);
  double cos_sum = 0, rms_sum = 0;
  q.cosine_min = 1;
  for (uint32_t e = 0; e < experts; ++e) {
    const auto w = data.Expert(0, e);
    if (!w->reference) return QuantErrorSummary{0, q.samples_per_expert, 0, 0, 0, 0};
    const auto err = chips::MeasureQuantError(*w, q.samples_per_expert, MixSeed(17, e));
    ++q.experts;
    q.cosine_min = std::min(q.cosine_min, err.cosine);
    cos_sum += err.cosine;
    q.max_abs = std::max(q.max_abs, err.max_abs);
    rms_sum += err.rms;
  }
  if (q.experts > 0) {
    q.cosine_mean = cos_sum / q.experts;
    q.rms = rms_sum / q.experts;
  }
  return q;
}

// routing.write_trace: the routing every token used (before capacity drops), as a trace file
// that a TRACE run can read.
void WriteRoutingUsed(const RunOptions& o, const RankReport& merged) {
  router::RoutingTrace trace;
  const auto& m = o.model;
  trace.num_tokens = static_cast<uint32_t>(merged.tokens.size());
  trace.num_layers = m.num_layers;
  trace.num_experts = m.num_experts;
  trace.top_k = m.top_k;
  for (const auto& t : merged.tokens) {
    MOEFAB_CHECK(t.routed.size() == 2ull * m.num_layers * m.top_k, "token " << t.id << " routing not recorded");
    for (uint32_t l = 0; l < m.num_layers; ++l) {
      const uint32_t* r = t.routed.data() + 2ull * l * m.top_k;
      trace.experts.insert(trace.experts.end(), r, r + m.top_k);
      trace.weights_q15.insert(trace.weights_q15.end(), r + m.top_k, r + 2 * m.top_k);
    }
  }
  router::WriteRoutingTrace(o.routing.write_trace, trace);
}

}  // namespace

std::string ResultsJson(const RunOptions& options, const SimulationOutcome& out) {
  MOEFAB_CHECK(out.plan != nullptr, "results of an outcome without its plan");
  return ResultsJson(options, *out.plan, out.merged, out.golden, out.quant, out.host);
}

namespace {

// The engine's figures of a parallel run, one line per rank (results.json host has them too).
void LogEngineFigures(spdlog::logger& log, const HostInfo& host) {
  uint64_t events = 0;
  for (const RankHost& r : host.per_rank) events += r.events;
  const double windows = static_cast<double>(std::max<uint64_t>(host.windows, 1));
  log.info("engine: {} windows, {:.1f} events per window, {} events crossed ranks, load imbalance {:.2f}", host.windows,
           static_cast<double>(events) / windows, host.events_sent, LoadImbalance(host));
  if (host.critical_path_seconds > 0)
    log.info(
        "engine: critical path {:.2f} s (per window the busiest rank's work), parallelism {:.2f} of {} ranks{}",
        host.critical_path_seconds, host.window_parallelism, host.ranks,
        host.windows_per_record > 1 ? fmt::format(" ({} windows per record)", host.windows_per_record) : "");
  for (size_t r = 0; r < host.per_rank.size(); ++r) {
    const RankHost& h = host.per_rank[r];
    log.info(
        "engine: rank {}: {} nodes, {} events ({:.1f} per window, {} early), work {:.2f} s, deferred {:.2f} s, "
        "waiting {:.2f} s",
        r, h.nodes, h.events, static_cast<double>(h.events) / windows, h.early_events, h.work_seconds,
        h.background_seconds, h.wait_seconds);
  }
}

}  // namespace

SimulationOutcome Simulate(const RunOptions& options, Transport& transport, std::shared_ptr<spdlog::logger> log) {
  return Simulate(options, std::make_shared<ClusterPlan>(MakePlan(options)), transport, std::move(log));
}

SimulationOutcome Simulate(const RunOptions& options, std::shared_ptr<ClusterPlan> plan, Transport& transport,
                           std::shared_ptr<spdlog::logger> log, const FaultInjection& faults) {
  const RankId rank = transport.rank();
  // The fabric, the same on every rank; each rank touches only the state of its own nodes.
  fabric::Network& net = *plan->network;
  MOEFAB_CHECK(net.TotalStats().messages_injected == 0, "a plan's fabric serves one run: make a new plan");
  const std::vector<RankId> owner = RankOwners(options, *plan, transport.size());
  // Lookahead: the smallest delay of a packet crossing ranks (chip events stay on their node;
  // messages leave a chip only through its own router); the credits that cross ranks are
  // bounded by the fabric's horizon after each window (fabric/network.h, CrossRankHorizon).
  // Per-rank clocks where SYNC_ASYNC asks for them and the transport has shared-memory
  // channels, else global windows (SYNC_AUTO: windows, the faster here).
  AsyncChannels* channels = transport.size() > 1 && options.sync == SyncMode::kAsync ? transport.async() : nullptr;
  Tick lookahead = kTickMax;
  if (transport.size() > 1) {
    net.TrackRanks(owner, rank);
    lookahead = net.CrossRankLookaheadPs();
  }
  ClusterEngine engine(transport, owner, lookahead, log);
  // Windows: what nothing from another rank can reach yet runs while the exchange is in flight.
  if (transport.size() > 1 && channels == nullptr) {
    if (options.early_events) engine.SetSlack(net.CrossRankSlackPs());
    // A packet's credit comes back a wire (and the credit delay) after it arrives.
    engine.SetReplyDelay(net.MinCrossNodeDelayPs(owner));
  }
  if (rank == 0) {
    log->info(
        "{} rank{}, {} mapping, lookahead {}", transport.size(), transport.size() == 1 ? "" : "s",
        options.rank_mapping == RankMapping::kBlock ? "block" : "round-robin",
        lookahead == kTickMax ? std::string("unbounded (no cross-rank link)") : std::to_string(lookahead) + " ps");
  }

  Cluster cluster(options, *plan, engine, log, faults.sampled_rtl_wrong_weights);
  if (options.resume) {
    const Tick at = ReadCheckpoint(options, transport, engine, cluster);
    if (rank == 0)
      log->info("resume: from the checkpoint at simulated {:.3f} us in {}", static_cast<double>(at) * 1e-6,
                options.checkpoint_dir);
  } else {
    cluster.ScheduleFabricEvents();
    cluster.ScheduleInitialTokens();
  }
  if (options.checkpoint_every_ps > 0)
    engine.SetCheckpoints(options.checkpoint_every_ps, [&](Tick tick) {
      WriteCheckpoint(options, transport, engine, cluster, tick, *log);
    });

  // Progress: every rank is called (the count is summed over the ranks); rank 0 prints.
  pdes::ProgressOptions progress;
  progress.interval_seconds = options.progress_seconds;
  const uint64_t total = options.workload.num_tokens;
  const auto progress_log = Logger("progress");
  const bool bar = ProgressOnTerminal(static_cast<int>(rank));
  progress.report = [&](Tick sim, uint64_t done, double wall) {
    if (rank != 0) return;
    const double frac = static_cast<double>(done) / static_cast<double>(std::max<uint64_t>(total, 1));
    const double rate = wall > 0 ? static_cast<double>(done) / wall : 0.0;
    const double eta = done > 0 ? wall * static_cast<double>(total - done) / static_cast<double>(done) : 0;
    const std::string eta_text = done > 0 ? fmt::format(", ETA {:.0f} s", eta) : std::string();
    progress_log->info("progress: {} of {} tokens ({:.1f}%), simulated {}, {:.1f} s wall ({:.0f} tokens per wall-second){}",
                       done, total, 100.0 * frac, FormatTime(sim), wall, rate, eta_text);
    if (bar) {  // one line, redrawn in place
      constexpr int kWidth = 30;
      const int filled = std::clamp(static_cast<int>(frac * kWidth), 0, kWidth);
      std::fprintf(stderr, "\r\033[K[%s%s] %5.1f%% %llu/%llu tokens | sim %s | %.0f tok/wall-s%s", 
                   std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), 100.0 * frac,
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   FormatTime(sim).c_str(), rate, eta_text.c_str());
      std::fflush(stderr);
    }
  };
  if (options.sync == SyncMode::kAsync && transport.size() > 1 && channels == nullptr && rank == 0)
    log->warn(
        "simulation.sync SYNC_ASYNC needs the shm transport (every rank on one node); the {} "
        "transport runs global windows (same results)",
        transport.name());
  // While the engine runs, every wait for another rank gives up after the peer timeout; the ranks
  // meet first (building the chips may take some of them much longer than others).
  (void)transport.AllreduceSum(0);
  SetPeerTimeoutSeconds(options.peer_timeout_seconds);
  const auto sim_start = Clock::now();
  const pdes::EngineStats stats =
      channels ? engine.RunAsync(cluster, *channels, progress) : engine.Run(cluster, progress);
  SetPeerTimeoutSeconds(0);
  const auto sim_wall_ns = static_cast<Tick>(Since(sim_start) * 1e9);
  if (bar && rank == 0) std::fputs("\r\033[K", stderr);  // the bar gives way to the summary

  SimulationOutcome out;
  out.plan = plan;
  RankReport mine = cluster.Report();
  // The model's events: a credit applied without an event stands for the one it replaced.
  mine.events = stats.events + net.CreditsWithoutEvents();
  out.golden = CheckTokens(options, *plan, mine, transport);

  const uint64_t sent = transport.AllreduceSum(stats.events_sent);
  // Each rank's engine figures, in rank order on rank 0.
  RankHost me;
  me.events = stats.events;
  me.credits_without_events = net.CreditsWithoutEvents();
  me.events_sent = stats.events_sent;
  me.early_events = stats.early_events;
  for (NodeId n = 0; n < options.num_nodes(); ++n) me.nodes += engine.Owns(n);
  me.work_seconds = stats.work_seconds;
  me.background_seconds = stats.background_seconds;
  me.wait_seconds = stats.wait_seconds;
  Bytes host_bytes;
  ByteWriter(host_bytes).Put(me);
  const auto host_parts = transport.GatherToRoot(host_bytes);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const Tick max_rss_kb = transport.AllreduceMax(static_cast<Tick>(usage.ru_maxrss));
  const Tick max_sim_wall_ns = transport.AllreduceMax(sim_wall_ns);
  auto parts = transport.GatherToRoot(SerializeReport(mine));
  if (rank == 0) {
    out.quant = MeasureQuantisation(options, *plan);
    std::vector<RankReport> reports;
    for (const auto& p : parts) reports.push_back(DeserializeReport(p));
    out.merged = MergeReports(std::move(reports));
    MOEFAB_CHECK(out.merged.tokens.size() == options.workload.num_tokens,
                 "finished " << out.merged.tokens.size() << " of " << options.workload.num_tokens << " tokens");
    out.host.ranks = transport.size();
    out.host.simulate_wall_seconds = static_cast<double>(max_sim_wall_ns) * 1e-9;
    out.host.windows = stats.windows;
    out.host.events_sent = sent;
    out.host.lookahead_ps = lookahead == kTickMax ? 0 : lookahead;
    out.host.peak_rss_mbytes = static_cast<double>(max_rss_kb) / 1024.0;
    out.host.transport = transport.name();
    out.host.sync = transport.size() == 1 ? "none" : channels ? "async" : "windows";
    out.host.rank_mapping = options.rank_mapping == RankMapping::kBlock ? "block" : "round-robin";
    out.host.critical_path_seconds = stats.critical_path_seconds;
    out.host.window_parallelism =
        stats.critical_path_seconds > 0 ? stats.window_work_seconds / stats.critical_path_seconds : 0.0;
    out.host.windows_per_record = stats.windows_per_record;
    for (const auto& p : host_parts) out.host.per_rank.push_back(ByteReader(p).Get<RankHost>());
    if (transport.size() > 1) LogEngineFigures(*log, out.host);
    if (!options.routing.write_trace.empty()) WriteRoutingUsed(options, out.merged);
  }
  return out;
}

}  // namespace moefab
