#include "runtime/commands/run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "runtime/checkpoint.h"
#include "runtime/commands/commands.h"
#include "runtime/commands/console_format.h"
#include "runtime/commands/extra_reports.h"
#include "runtime/commands/output_folder.h"
#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/plan/model_data.h"
#include "runtime/results/results.h"
#include "runtime/simulate.h"
#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/ucx_transport.h"

namespace moefab {

namespace {

// Loads the config and makes its plan; returns the error text or empty.
std::string Load(const RunArgs& args, RunOptions& options, std::shared_ptr<ClusterPlan>& plan) {
  try {
    const bool embedded = args.config_path.empty();
    const std::string name = embedded ? "<embedded tiny.textproto>" : args.config_path;
    // --set PATH=VALUE: sweep's syntax and SetConfigField, applied before validation.
    options = LoadConfigText(embedded ? EmbeddedDefaultConfig() : ReadConfigFile(args.config_path), name,
                             [&args](google::protobuf::Message& config) {
                               for (const auto& s : args.sets) {
                                 const SweepAxis axis = ParseSweepSet(s);
                                 try {
                                   SetConfigField(config, axis.path, axis.values.at(0));
                                 } catch (const ConfigError& e) {
                                   throw ConfigError("command line: --set " + s + ": " + e.what());
                                 }
                               }
                             });
    if (args.rank_mapping == "block") options.rank_mapping = RankMapping::kBlock;
    if (args.rank_mapping == "round-robin") options.rank_mapping = RankMapping::kRoundRobin;
    ApplyReportArgs(args.reports, options.report);
    if (args.transport == "auto") options.transport = TransportKind::kAuto;
    if (args.transport == "mpi") options.transport = TransportKind::kMpi;
    if (args.transport == "ucx") options.transport = TransportKind::kUcx;
    if (args.transport == "shm") options.transport = TransportKind::kShm;
    plan = std::make_shared<ClusterPlan>(MakePlan(options));
    ModelData(options, *plan).CheckWeightFile();
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
  std::shared_ptr<ClusterPlan> plan;
  const std::string error = Load(args, options, plan);
  // Every rank parses the same file, but agree anyway so that no rank runs alone.
  if (transport.AllreduceSum(error.empty() ? 0 : 1) != 0) {
    if (rank == 0)
      std::fprintf(stderr, "moefab: error: %s\n",
                   error.empty() ? "the config failed to load on another rank" : error.c_str());
    return kExitBadInput;
  }

  // Only a valid config creates the output folder: per-rank logs go next to the results.
  const std::string log_dir = args.out_dir + "/logs";
  if (const std::string problem = PrepareOutputFolder(args.out_dir, transport); !problem.empty()) {
    if (rank == 0) std::fprintf(stderr, "moefab: error: %s\n", problem.c_str());
    return kExitBadInput;
  }
  options.checkpoint_dir = args.out_dir + "/checkpoint";
  options.resume = args.resume;
  if (args.resume) {
    if (const std::string problem = CheckCheckpoint(options, transport); !problem.empty()) {
      if (rank == 0) std::fprintf(stderr, "moefab: error: %s\n", problem.c_str());
      return kExitBadInput;
    }
  }
  SetUpLogging(
      LoggingOptions{static_cast<int>(rank), log_dir + "/rank-" + std::to_string(rank) + ".log", args.verbose});
  auto log = Logger("runtime");
  if (rank == 0)
    log->info("config {}: model {} ({} layers, d_model {}, {} experts x width {}, top-{}), {} chips, fidelity {}",
              options.config_path, options.model.name, options.model.num_layers, options.model.d_model,
              options.model.num_experts, options.model.expert_width, options.model.top_k, options.num_nodes(),
              FidelityName(options.fidelity));

  if (rank == 0) {
    const uint64_t slots = plan->num_slots();
    uint32_t expert_chips = 0;
    for (NodeId n = 0; n < options.num_nodes(); ++n) expert_chips += options.SkuOf(n).kind == ChipKind::kExpert;
    log->info("placement {}: {} expert slots on {} expert chips; routing {}{}",
              PlacementStrategyName(options.placement.strategy), slots, expert_chips,
              RoutingSourceName(options.routing.source), options.timing_only ? " (timing-only: no weights)" : "");
  }
  if (rank == 0)
    for (const auto& note : options.notes) log->info("note: {}", note);
  if (rank == 0)
    if (const std::string idle = IdleRanksWarning(transport.size(), options.num_nodes()); !idle.empty())
      log->warn("{}", idle);
  // The run's transport (MPI by default; the loading above always talks MPI).
  const std::unique_ptr<Transport> exchange = MakeTransport(TransportName(options.transport), comm);
  SimulationOutcome out = Simulate(options, plan, *exchange, log);
  if (rank == 0) {
    out.host.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    WriteFileAtomically(args.out_dir, "results.json", ResultsJson(options, out));
    WriteExtraReports(args.out_dir, options, out, *log);
    const LatencySummary s = Summarise(out.merged);
    log->info("{}", SummaryLine(out.merged.tokens.size(), s));
    log->info("{}", GoldenLine(out.golden, options));
    log->info("host: {} in {:.2f} s on {}; wrote {}/results.json", CountOf(out.merged.events, "event"),
              out.host.simulate_wall_seconds, CountOf(out.host.ranks, "rank"), args.out_dir);
  }
  int code = kExitOk;
  if (out.golden.enabled && !out.golden.match) {
    if (rank == 0) log->error("golden mismatch: first differing token {}", out.golden.first_mismatch);
    code = kExitGoldenMismatch;
  }
  // SAMPLED: any job whose RTL run differed from the golden datapath fails the run.
  if (rank == 0 && out.merged.job_totals.sampled_mismatches > 0) {
    log->error("SAMPLED: {} of {} jobs run again in RTL differed from the golden datapath",
               out.merged.job_totals.sampled_mismatches, out.merged.job_totals.sampled_checks);
    code = kExitGoldenMismatch;
  }
  // Every rank returns the same code.
  code = static_cast<int>(transport.AllreduceMax(static_cast<Tick>(code)));
  spdlog::shutdown();
  return code;
}

}  // namespace moefab
