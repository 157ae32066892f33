#include "runtime/commands/command_line.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>

#include "core/error.h"

namespace moefab {

namespace {

const char* const kCommands[] = {"run", "sweep", "tapeout", "area", "blocks", "fabric-bench", "place"};

bool IsCommand(const std::string& s) {
  return std::find(std::begin(kCommands), std::end(kCommands), s) != std::end(kCommands);
}

// The bound values of every command's options; one App per command binds to the members.
struct Bound {
  std::string config;
  std::string out;
  std::string cache;
  std::string rank_mapping;
  std::string transport;
  std::vector<std::string> reports;
  std::vector<std::string> sets;
  bool verbose = false;
  bool resume = false;
};

const char kSummaryRun[] =
    "Simulate the cluster of CONFIG (a text-format config, schema configs/moefab.proto; default:\n"
    "the embedded configs/tiny.textproto) and write DIR/results.json. Alone or under mpirun -np N.";
const char kSummarySweep[] =
    "Run CONFIG once per point of the grid of --set values (cartesian product, the first --set\n"
    "varying slowest); writes DIR/sweep.csv and DIR/point-NNN/results.json. Alone or under mpirun.";
const char kSummaryTapeout[] =
    "Build the hardwired (weights-as-constants) expert engines of CONFIG's HARDWIRED chip kinds,\n"
    "cached by content hash; writes DIR/tapeout.json.";
const char kSummaryArea[] =
    "Synthesize slices of the expert engines with yosys and extrapolate the transistors and die\n"
    "area of the whole model; writes DIR/area.txt.";
const char kSummaryBlocks[] =
    "Block-library statistics of CONFIG's expert weights: distinct sorted blocks per matrix and\n"
    "layer for block sizes 2, 4, 8 in INT3, INT4 and MXFP4, beside the bound; writes DIR/blocks.txt.";
const char kSummaryFabricBench[] =
    "Synthetic traffic on CONFIG's fabric alone: accepted throughput and latency versus offered\n"
    "load per pattern, saturation, all-to-all; writes DIR/fabric_bench.csv.";
const char kSummaryPlace[] =
    "The placement of CONFIG's strategy: chips used, load per chip, slots, expected hops and\n"
    "hop-bytes per job, printed; with --out also DIR/placement.txt (for placement strategy FILE).";

std::unique_ptr<CLI::App> MakeApp(const std::string& command, Bound& b) {
  const char* summary = command == "run"       ? kSummaryRun
                        : command == "sweep"   ? kSummarySweep
                        : command == "tapeout" ? kSummaryTapeout
                        : command == "area"    ? kSummaryArea
                        : command == "blocks"  ? kSummaryBlocks
                        : command == "place"   ? kSummaryPlace
                                               : kSummaryFabricBench;
  auto app = std::make_unique<CLI::App>(summary, "moefab " + command);
  app->set_help_flag("-h,--help", "print this help and exit");
  app->allow_extras();  // unknown options and extra arguments: reported by ParseCommandLine
  app->get_formatter()->column_width(34);
  const bool config_required = command != "run";
  app->add_option("CONFIG", b.config,
                  config_required ? "the config file (text-format protobuf, schema configs/moefab.proto)"
                                  : "the config file (default: the embedded configs/tiny.textproto)")
      ->type_name("")
      ->required(config_required);
  const bool out_required = command == "run" || command == "sweep";
  const std::string out_what = command == "run"            ? "results.json, logs/ and reports"
                               : command == "sweep"        ? "sweep.csv and point-NNN/"
                               : command == "tapeout"      ? "tapeout.json"
                               : command == "area"         ? "area.txt"
                               : command == "blocks"       ? "blocks.txt"
                               : command == "fabric-bench" ? "fabric_bench.csv and fabric_bench.txt"
                                                           : "placement.txt";
  app->add_option("-o,--out", b.out,
                  std::string(out_required ? "(required) " : "") + "output folder: " + out_what)
      ->type_name("DIR")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  if (command == "run" || command == "sweep") {
    app->add_option("--set", b.sets,
                    command == "run" ? "set one config field, e.g. workload.num_tokens=256 (repeatable)"
                                     : "a grid axis, e.g. workload.concurrency=8,16 (at least one; repeatable)")
        ->type_name(command == "run" ? "PATH=VALUE" : "PATH=V1,V2,..")
        ->allow_extra_args(false);
    app->add_option("--report", b.reports, "extra outputs: csv, html, trace or all (comma-separated)")
        ->type_name("LIST")
        ->allow_extra_args(false);
    app->add_flag("-v,--verbose", b.verbose, "debug logging on the console");
  }
  if (command == "sweep")
    app->add_flag("--resume", b.resume,
                  "keep the points an interrupted sweep into DIR finished (same config text); run the rest");
  if (command == "run") {
    app->add_flag("--resume", b.resume,
                  "go on from the checkpoint an earlier run of this config wrote into DIR/checkpoint "
                  "(simulation.checkpoint_every_us; same ranks)");
    app->add_option("--rank-mapping", b.rank_mapping, "chips to ranks: block or round-robin (overrides the config)")
        ->type_name("MAP")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app->add_option("--transport", b.transport, "cross-rank exchange: auto, shm, mpi or ucx (overrides the config)")
        ->type_name("KIND")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  if (command == "tapeout")
    app->add_option("--cache", b.cache, "build cache folder (default: the config's simulation.build_cache)")
        ->type_name("DIR")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  return app;
}

[[noreturn]] void Bad(const std::string& command, const std::string& what) {
  throw ConfigError("command line: " + what + " (see moefab help " + command + ")");
}

std::vector<std::string> ParseReports(const std::string& command, const std::vector<std::string>& lists) {
  std::vector<std::string> out;
  for (const auto& list : lists) {
    size_t pos = 0;
    while (pos <= list.size()) {
      const size_t comma = std::min(list.find(',', pos), list.size());
      const std::string item = list.substr(pos, comma - pos);
      if (item != "csv" && item != "html" && item != "trace" && item != "all")
        Bad(command, "--report " + list + ": '" + item + "' is not one of csv, html, trace, all");
      out.push_back(item);
      pos = comma + 1;
    }
  }
  return out;
}

// Parses the arguments after the command name into `b`; throws ConfigError (one line).
void ParseInto(const std::string& command, const std::vector<std::string>& args, Bound& b, CommandLine& out) {
  const auto app = MakeApp(command, b);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out.action = CommandLine::Action::kPrint;
    out.text = app->help();
    out.exit_code = 0;
    return;
  } catch (const CLI::RequiredError&) {
    Bad(command, "CONFIG is required (a text-format config file)");  // the only required argument
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    // CLI11 says "--out: 1 required DIR missing" for an option given last without its value.
    if (what.find("required") != std::string::npos && what.find("missing") != std::string::npos)
      what = what.substr(0, what.find(':')) + " needs a value";
    Bad(command, what);
  }
  for (const auto& extra : app->remaining()) {
    if (!extra.empty() && extra[0] == '-') Bad(command, "unknown option " + extra);
    Bad(command, "unexpected argument " + extra + " (one CONFIG file at most)");
  }
  out.action = CommandLine::Action::kSingle;
  out.command = command;
}

}  // namespace

std::string GlobalUsage() {
  return "usage: moefab COMMAND [CONFIG] [OPTIONS]      (moefab help COMMAND: its options)\n"
         "       moefab run [CONFIG] --out DIR [--set PATH=VALUE ..] [--report csv,html,trace|all]\n"
         "                  [--rank-mapping block|round-robin] [--transport auto|shm|mpi|ucx] [--resume] [--verbose]\n"
         "       moefab sweep CONFIG --set PATH=V1,V2[,..] [--set PATH2=A,B ..] --out DIR [--report ..]\n"
         "                    [--resume]\n"
         "       moefab tapeout CONFIG [--out DIR] [--cache DIR]\n"
         "       moefab area CONFIG [--out DIR]\n"
         "       moefab blocks CONFIG [--out DIR]\n"
         "       moefab fabric-bench CONFIG [--out DIR]\n"
         "       moefab place CONFIG [--out DIR]\n"
         "       moefab help [COMMAND] | version\n"
         "\n"
         "  run           simulate the cluster of CONFIG and write DIR/results.json (alone or under mpirun)\n"
         "  sweep         run CONFIG once per point of a grid of --set values; DIR/sweep.csv\n"
         "  tapeout       build the hardwired expert engines of CONFIG's HARDWIRED chip kinds\n"
         "  area          yosys slices of the expert engines -> transistors and die area\n"
         "  blocks        distinct sorted weight blocks (block libraries) per matrix and layer\n"
         "  fabric-bench  synthetic traffic on CONFIG's fabric alone: throughput, latency, saturation\n"
         "  place         placement metrics of CONFIG's strategy; with --out DIR/placement.txt\n"
         "\n"
         "CONFIG is a text-format protobuf file (schema configs/moefab.proto). PATH names a field by\n"
         "its proto names: workload.concurrency, simulation.fidelity=ANALYTIC, skus[1].mac_lanes,\n"
         "fabric.torus.dims=4x4x4.\n"
         "exit codes: 0 ok, 1 error, 2 bad config/input/command line, 3 golden mismatch\n";
}

std::string CommandHelp(const std::string& command) {
  if (!IsCommand(command)) return {};
  Bound b;
  return MakeApp(command, b)->help();
}

CommandLine ParseCommandLine(const std::vector<std::string>& a) {
  CommandLine out;
  if (a.empty()) {
    out.text = GlobalUsage();
    out.to_stderr = true;
    out.exit_code = 2;
    return out;
  }
  const std::string& first = a[0];
  if (first == "help" || first == "--help" || first == "-h") {
    if (a.size() > 2) throw ConfigError("command line: help takes one COMMAND at most (see moefab help)");
    if (a.size() == 1) {
      out.text = GlobalUsage();
      return out;
    }
    out.text = CommandHelp(a[1]);
    if (out.text.empty())
      throw ConfigError("command line: unknown command '" + a[1] +
                        "'; expected run, sweep, tapeout, area, blocks, fabric-bench or place");
    return out;
  }
  if (first == "version" || first == "--version") {
    out.text = "moefab 0.1.0\n";
    return out;
  }
  if (!IsCommand(first))
    throw ConfigError("command line: unknown command '" + first +
                      "'; expected run, sweep, tapeout, area, blocks, fabric-bench, place, help or version");
  Bound b;
  ParseInto(first, {a.begin() + 1, a.end()}, b, out);
  if (out.action == CommandLine::Action::kPrint) return out;  // --help
  if (first == "run") {
    out.action = CommandLine::Action::kRun;
    RunArgs& r = out.run;
    r.config_path = b.config;
    r.out_dir = b.out;
    r.verbose = b.verbose;
    r.rank_mapping = b.rank_mapping;
    r.resume = b.resume;
    if (!r.rank_mapping.empty() && r.rank_mapping != "block" && r.rank_mapping != "round-robin")
      Bad(first, "--rank-mapping " + r.rank_mapping + ": expected block or round-robin");
    r.transport = b.transport;
    if (!r.transport.empty() && r.transport != "auto" && r.transport != "mpi" && r.transport != "ucx" &&
        r.transport != "shm")
      Bad(first, "--transport " + r.transport + ": expected auto, shm, mpi or ucx");
    r.reports = ParseReports(first, b.reports);
    for (const auto& s : b.sets) {
      const SweepAxis axis = ParseSweepSet(s);  // the syntax of sweep's --set, one value
      if (axis.values.size() != 1)
        Bad(first, "--set " + s + ": " + std::to_string(axis.values.size()) +
                       " values; expected one PATH=VALUE (moefab sweep takes lists)");
      r.sets.push_back(s);
    }
    if (r.out_dir.empty()) Bad(first, "--out DIR is required (where results.json goes)");
    return out;
  }
  if (first == "sweep") {
    out.action = CommandLine::Action::kSweep;
    SweepArgs& s = out.sweep;
    s.config_path = b.config;
    s.out_dir = b.out;
    s.verbose = b.verbose;
    s.reports = ParseReports(first, b.reports);
    s.resume = b.resume;
    for (const auto& set : b.sets) s.axes.push_back(ParseSweepSet(set));
    if (s.config_path.empty()) Bad(first, "CONFIG is required (a text-format config file)");
    if (s.axes.empty()) Bad(first, "sweep needs at least one --set PATH=V1,V2");
    if (s.out_dir.empty()) Bad(first, "--out DIR is required (where sweep.csv goes)");
    return out;
  }
  CommandArgs& c = out.single;
  c.config_path = b.config;
  c.out_dir = b.out;
  c.cache_dir = b.cache;
  if (c.config_path.empty()) Bad(first, "CONFIG is required (a text-format config file)");
  return out;
}

}  // namespace moefab
