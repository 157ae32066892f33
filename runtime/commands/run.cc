#include "runtime/commands/run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "runtime/commands/output_folder.h"
#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/plan/model_data.h"
#include "runtime/reports/csv_writer.h"
#include "runtime/reports/html_report.h"
#include "runtime/reports/run_data.h"
#include "runtime/reports/trace_writer.h"
#include "runtime/results/results.h"
#include "runtime/simulate.h"
#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/ucx_transport.h"

namespace moefab {

namespace {

// Loads the config and makes its plan; returns the error text or empty.
std::string Load(const RunArgs& args, RunOptions& options, std::shared_ptr<ClusterPlan>& plan) {
  try {
    options = args.config_path.empty() ? LoadConfigText(EmbeddedDefaultConfig(), "<embedded tiny.textproto>")
                                       : LoadConfigFile(args.config_path);
    if (args.rank_mapping == "block") options.rank_mapping = RankMapping::kBlock;
    if (args.rank_mapping == "round-robin") options.rank_mapping = RankMapping::kRoundRobin;
    for (const auto& r : args.reports) {
      if (r == "csv" || r == "all") options.report.csv = true;
      if (r == "html" || r == "all") options.report.html = true;
      if (r == "trace" || r == "all") options.report.trace = true;
    }
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

// Trace events: one span per traced token and one per job of those tokens in its slot.
std::vector<TraceEvent> TraceEventsOf(const RankReport& merged, uint32_t max_tokens) {
  std::vector<TraceEvent> events;
  for (auto& e : TokenTraceEvents(merged)) {
    if (events.size() >= max_tokens) break;
    events.push_back(std::move(e));
  }
  for (const auto& j : merged.job_spans) {
    TraceEvent e;
    e.name = "L" + std::to_string(j.layer) + " E" + std::to_string(j.expert);
    e.category = "expert";
    e.track = "chip " + std::to_string(j.node) + " slot " + std::to_string(j.slot);
    e.start_ps = j.start_ps;
    e.duration_ps = j.done_ps - j.start_ps;
    e.args = {{"token", std::to_string(j.token)}};
    events.push_back(std::move(e));
  }
  return events;
}

void WriteExtraReports(const std::string& dir, const RunOptions& o, const SimulationOutcome& out, spdlog::logger& log) {
  if (!o.report.csv && !o.report.html && !o.report.trace) return;
  const ReportInput input = MakeReportInput(
      o, *out.plan, out.merged, out.golden, out.quant, out.host,
      o.report.trace ? TraceEventsOf(out.merged, o.report.trace_max_tokens) : std::vector<TraceEvent>{});
  if (o.report.csv) WriteCsvReports(dir, input);
  if (o.report.html) WriteHtmlReport(dir, input);
  if (o.report.trace) WriteChromeTrace(dir, input);
  log.info("wrote{}{}{} in {}", o.report.csv ? " tokens/links/chips/experts.csv" : "",
           o.report.html ? " report.html" : "", o.report.trace ? " trace.json" : "", dir);
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
  // The run's transport (MPI by default; the loading above always talks MPI).
  const std::unique_ptr<Transport> exchange = MakeTransport(TransportName(options.transport), comm);
  SimulationOutcome out = Simulate(options, plan, *exchange, log);
  if (rank == 0) {
    out.host.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    WriteFileAtomically(args.out_dir, "results.json", ResultsJson(options, out));
    WriteExtraReports(args.out_dir, options, out, *log);
    const LatencySummary s = Summarise(out.merged);
    log->info("tokens {} | latency p50 {:.1f} ns, p99 {:.1f} ns | throughput {:.0f} tokens/s (simulated)",
              out.merged.tokens.size(), s.p50_ns, s.p99_ns, s.throughput_tokens_per_s);
    log->info("golden check: {} ({} tokens checked, {} mismatched)",
              !out.golden.enabled ? "skipped" : (out.golden.match ? "MATCH" : "MISMATCH"), out.golden.tokens_checked,
              out.golden.tokens_mismatched);
    log->info("host: {} events in {:.2f} s on {} ranks; wrote {}/results.json", out.merged.events,
              out.host.simulate_wall_seconds, out.host.ranks, args.out_dir);
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
