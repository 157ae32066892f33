#include "runtime/run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "runtime/config_loader.h"
#include "runtime/core/error.h"
#include "runtime/logging.h"
#include "runtime/mpi_transport.h"
#include "runtime/results.h"
#include "runtime/simulate.h"

namespace moefab {

namespace {

// Loads the config; returns the error text or empty.
std::string Load(const RunArgs& args, RunOptions& options) {
  try {
    options = args.config_path.empty()
                  ? LoadConfigText(EmbeddedDefaultConfig(), "<embedded tiny.textproto>")
                  : LoadConfigFile(args.config_path);
    if (args.rank_mapping == "block") options.rank_mapping = RankMapping::kBlock;
    if (args.rank_mapping == "round-robin") options.rank_mapping = RankMapping::kRoundRobin;
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

int RunCommand(const RunArgs& args, MPI_Comm comm) {
  const auto wall_start = std::chrono::steady_clock::now();
  MpiTransport transport(comm);
  const RankId rank = transport.rank();
  CheckContext::Rank() = static_cast<int>(rank);
  SetUpLogging(LoggingOptions{static_cast<int>(rank), "", args.verbose});

  RunOptions options;
  const std::string error = Load(args, options);
  // Every rank parses the same file, but agree anyway so that no rank runs alone.
  if (transport.AllreduceSum(error.empty() ? 0 : 1) != 0) {
    if (rank == 0)
      std::fprintf(stderr, "moefab: error: %s\n",
                   error.empty() ? "the config failed to load on another rank" : error.c_str());
    return kExitBadInput;
  }

  // Only a valid config creates the output folder: per-rank logs go next to the results.
  const std::string log_dir = args.out_dir + "/logs";
  std::filesystem::create_directories(log_dir);
  SetUpLogging(LoggingOptions{static_cast<int>(rank),
                              log_dir + "/rank-" + std::to_string(rank) + ".log", args.verbose});
  auto log = Logger("runtime");
  if (rank == 0)
    log->info("config {}: model {} ({} layers, d_model {}, {} experts x width {}, top-{}), {} chips, fidelity {}",
              options.config_path, options.model.name, options.model.num_layers,
              options.model.d_model, options.model.num_experts, options.model.expert_width,
              options.model.top_k, options.num_nodes(),
              options.fidelity == Fidelity::kRtl ? "RTL" : "ANALYTIC");

  SimulationOutcome out = Simulate(options, transport, log);
  if (rank == 0) {
    out.host.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    WriteFileAtomically(args.out_dir, "results.json",
                        ResultsJson(options, out.merged, out.golden, out.host));
    const LatencySummary s = Summarise(out.merged);
    log->info("tokens {} | latency p50 {:.1f} ns, p99 {:.1f} ns | throughput {:.0f} tokens/s (simulated)",
              out.merged.tokens.size(), s.p50_ns, s.p99_ns, s.throughput_tokens_per_s);
    log->info("golden check: {} ({} tokens checked, {} mismatched)",
              !out.golden.enabled ? "skipped" : (out.golden.match ? "MATCH" : "MISMATCH"),
              out.golden.tokens_checked, out.golden.tokens_mismatched);
    log->info("host: {} events in {:.2f} s on {} ranks; wrote {}/results.json", out.merged.events,
              out.host.simulate_wall_seconds, out.host.ranks, args.out_dir);
  }
  int code = kExitOk;
  if (out.golden.enabled && !out.golden.match) {
    if (rank == 0) log->error("golden mismatch: first differing token {}", out.golden.first_mismatch);
    code = kExitGoldenMismatch;
  }
  spdlog::shutdown();
  return code;
}

}  // namespace moefab
