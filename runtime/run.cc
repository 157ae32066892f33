#include "runtime/run.h"

#include <chrono>
#include <filesystem>

#include "runtime/cluster.h"
#include "runtime/config_loader.h"
#include "runtime/core/error.h"
#include "runtime/golden_model.h"
#include "runtime/logging.h"
#include "runtime/mpi_transport.h"
#include "runtime/results.h"

namespace moefab {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Smallest delay with which an event can cross from one rank to another.
Tick Lookahead(const RunOptions& o, const fabric::Torus& torus, const std::vector<RankId>& owner) {
  Tick best = kTickMax;
  for (NodeId n = 0; n < torus.num_nodes(); ++n)
    for (fabric::PortId p = 0; p < torus.num_ports(); ++p)
      if (torus.HasLink(n, p) && owner[n] != owner[torus.Neighbor(n, p)])
        best = std::min(best, fabric::MinHopDelayPs(o.link));
  return best;
}

// Loads the config on every rank; returns the error text (same on all ranks) or empty.
std::string Load(const RunArgs& args, RunOptions& options) {
  try {
    options = args.config_path.empty() ? LoadConfigText(EmbeddedDefaultConfig(), "<embedded tiny.textproto>")
                                       : LoadConfigFile(args.config_path);
    if (args.rank_mapping == "block") options.rank_mapping = RankMapping::kBlock;
    else if (args.rank_mapping == "round-robin") options.rank_mapping = RankMapping::kRoundRobin;
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

int RunCommand(const RunArgs& args, MPI_Comm comm) {
  const auto wall_start = Clock::now();
  MpiTransport transport(comm);
  const RankId rank = transport.rank();
  CheckContext::Rank() = static_cast<int>(rank);
  SetUpLogging(LoggingOptions{static_cast<int>(rank), "", args.verbose});
  auto log = Logger("runtime");

  RunOptions options;
  const std::string error = Load(args, options);
  // Every rank parses the same file, but agree anyway so no rank runs alone.
  if (transport.AllreduceSum(error.empty() ? 0 : 1) != 0) {
    if (rank == 0) std::fprintf(stderr, "moefab: error: %s\n", error.empty() ? "bad config on another rank" : error.c_str());
    return kExitBadInput;
  }

  // Per-rank log file next to the results.
  const std::string log_dir = args.out_dir + "/logs";
  std::filesystem::create_directories(log_dir);
  SetUpLogging(LoggingOptions{static_cast<int>(rank), log_dir + "/rank-" + std::to_string(rank) + ".log",
                              args.verbose});
  log = Logger("runtime");

  const auto torus = fabric::Torus::Make(options.torus_dims);
  auto owner = options.rank_mapping == RankMapping::kBlock
                   ? BlockOwners(options.num_nodes(), transport.size())
                   : RoundRobinOwners(options.num_nodes(), transport.size());
  const Tick lookahead = Lookahead(options, torus, owner);
  if (rank == 0) {
    log->info("config {}: model {} ({} layers, d_model {}, {} experts x width {}, top-{}), {} chips on torus {}, fidelity {}",
              options.config_path, options.model.name, options.model.num_layers, options.model.d_model,
              options.model.num_experts, options.model.expert_width, options.model.top_k,
              options.num_nodes(), torus.num_nodes(), options.fidelity == Fidelity::kRtl ? "RTL" : "ANALYTIC");
    log->info("{} ranks, {} mapping, lookahead {}", transport.size(),
              options.rank_mapping == RankMapping::kBlock ? "block" : "round-robin",
              lookahead == kTickMax ? std::string("unbounded (no cross-rank link)")
                                    : std::to_string(lookahead) + " ps");
  }

  Engine engine(transport, owner, lookahead, log);
  const auto build_start = Clock::now();
  Cluster cluster(options, engine, Logger("chips"));
  log->debug("built this rank's nodes in {:.3f} s", Since(build_start));
  cluster.ScheduleInitialTokens();

  auto last_progress = Clock::now();
  const auto sim_start = Clock::now();
  const EngineStats stats = engine.Run(cluster, [&](Tick window_start) {
    if (rank != 0 || Since(last_progress) < options.progress_seconds) return;
    last_progress = Clock::now();
    log->info("progress: simulated {:.3f} us, {} tokens finished on rank 0, {:.1f} s wall",
              static_cast<double>(window_start) / 1e6, cluster.tokens_done(), Since(sim_start));
  });
  const double sim_wall = Since(sim_start);

  // Golden check: each rank checks the tokens it homes, against the single-process model.
  RankReport mine = cluster.Report();
  mine.events = stats.events;
  GoldenCheck golden;
  golden.enabled = options.golden_check;
  uint64_t checked = 0, mismatched = 0;
  Tick first_bad = kTickMax;
  if (golden.enabled) {
    ModelData data(options.model, options.workload.input_seed);
    for (const auto& t : mine.tokens) {
      ++checked;
      if (GoldenForward(data, t.id) != t.final_h) {
        ++mismatched;
        first_bad = std::min<Tick>(first_bad, t.id);
      }
    }
  }
  golden.tokens_checked = transport.AllreduceSum(checked);
  golden.tokens_mismatched = transport.AllreduceSum(mismatched);
  first_bad = transport.AllreduceMin(first_bad);
  golden.first_mismatch = first_bad == kTickMax ? -1 : static_cast<int64_t>(first_bad);
  golden.match = golden.enabled && golden.tokens_mismatched == 0 &&
                 golden.tokens_checked == options.workload.num_tokens;

  const uint64_t windows = stats.windows;
  const uint64_t sent = transport.AllreduceSum(stats.events_sent);
  // Max of the engine wall time over ranks, via min of its negation's bit pattern: use ns.
  const auto sim_wall_ns = static_cast<Tick>(sim_wall * 1e9);
  const Tick max_sim_wall_ns = kTickMax - transport.AllreduceMin(kTickMax - sim_wall_ns);

  auto parts = transport.GatherToRoot(SerializeReport(mine));
  int code = kExitOk;
  if (rank == 0) {
    std::vector<RankReport> reports;
    for (const auto& p : parts) reports.push_back(DeserializeReport(p));
    RankReport merged = MergeReports(std::move(reports));
    MOEFAB_CHECK(merged.tokens.size() == options.workload.num_tokens,
                 "finished " << merged.tokens.size() << " of " << options.workload.num_tokens << " tokens");
    HostInfo host;
    host.ranks = transport.size();
    host.simulate_wall_seconds = static_cast<double>(max_sim_wall_ns) * 1e-9;
    host.windows = windows;
    host.events_sent = sent;
    host.lookahead_ps = lookahead == kTickMax ? 0 : lookahead;
    host.wall_seconds = Since(wall_start);
    WriteFileAtomically(args.out_dir, "results.json", ResultsJson(options, merged, golden, host));
    const LatencySummary s = Summarise(merged);
    log->info("tokens {} | latency p50 {:.1f} ns p99 {:.1f} ns | throughput {:.0f} tokens/s (simulated)",
              merged.tokens.size(), s.p50_ns, s.p99_ns, s.throughput_tokens_per_s);
    log->info("golden check: {} ({} tokens checked, {} mismatched) | {} events in {:.2f} s wall on {} ranks",
              !golden.enabled ? "skipped" : (golden.match ? "MATCH" : "MISMATCH"), golden.tokens_checked,
              golden.tokens_mismatched, merged.events, host.simulate_wall_seconds, host.ranks);
    log->info("wrote {}/results.json", args.out_dir);
  }
  if (golden.enabled && !golden.match) {
    if (rank == 0) log->error("golden mismatch: first differing token {}", golden.first_mismatch);
    code = kExitGoldenMismatch;
  }
  spdlog::shutdown();
  return code;
}

}  // namespace moefab
