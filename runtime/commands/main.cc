// The moefab command line.
//   moefab run [CONFIG] --out DIR [--rank-mapping block|round-robin] [--verbose]
//   moefab help | version
// Works alone (1 rank) and under mpirun -np N. Exit codes: 0 ok, 1 error, 2 bad input,
// 3 golden mismatch.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/commands/commands.h"
#include "runtime/commands/run.h"
#include "runtime/commands/stop_signals.h"

namespace {

const char kUsage[] =
    "usage: moefab run [CONFIG] --out DIR [--rank-mapping block|round-robin]\n"
    "                  [--report csv,html,trace|all] [--transport auto|mpi|ucx|shm] [--verbose]\n"
    "       moefab tapeout CONFIG [--out DIR] [--cache DIR]\n"
    "       moefab area CONFIG [--out DIR]\n"
    "       moefab fabric-bench CONFIG [--out DIR]\n"
    "       moefab place CONFIG [--out DIR]\n"
    "       moefab sweep CONFIG --set PATH=V1,V2[,..] [--set PATH2=A,B ..] --out DIR [--resume]\n"
    "                    [--verbose]\n"

    "       moefab help | version\n"
    "\n"
    "  run      simulate the cluster of CONFIG (a text-format protobuf file, schema\n"
    "           configs/moefab.proto; default: the embedded configs/tiny.textproto) and\n"
    "           write DIR/results.json. Run it alone or under `mpirun -np N`.\n"
    "  tapeout  build the hardwired (weights-as-constants) expert engines of CONFIG's\n"
    "           HARDWIRED chip kinds; cached by content hash (DIR/tapeout.json).\n"
    "  area     synthesize slices of the expert engines with yosys and extrapolate the\n"
    "           transistors and die area of the whole model (DIR/area.txt).\n"
    "  fabric-bench  synthetic traffic on CONFIG's fabric alone: latency and throughput\n"
    "           versus offered load per pattern, saturation, all-to-all (DIR/fabric_bench.csv).\n"
    "  place    the placement of CONFIG's strategy: chips used, load per chip, slots, expected\n"
    "           hops and hop-bytes per job; writes DIR/placement.txt (placement strategy FILE).\n"
    "  sweep    run CONFIG once per point of the grid of --set values (cartesian product, first\n"
    "           --set slowest; PATH as in configs/moefab.proto, e.g. workload.concurrency,\n"
    "           simulation.fidelity=ANALYTIC, skus[1].mac_lanes, fabric.torus.dims=4x4x4);\n"
    "           writes DIR/sweep.csv and DIR/point-NNN/results.json. Alone or under mpirun.\n"
    "           --resume keeps the points an interrupted sweep into DIR finished (same config).\n"

    "exit codes: 0 ok, 1 error, 2 bad config/input/command line, 3 golden mismatch\n";

void AbortAll() {
  MPI_Abort(MPI_COMM_WORLD, 1);
}

int rank0() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Walks a command line: `option(flag, value)` handles a flag (value() takes its argument)
// and returns false for an unknown one; `positional(arg)` takes the others. Throws
// ConfigError naming the bad argument.
void WalkArgs(const std::vector<std::string>& a,
              const std::function<bool(const std::string&, const std::function<std::string()>&)>& option,
              const std::function<void(const std::string&)>& positional) {
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& s = a[i];
    const std::function<std::string()> value = [&] {
      if (i + 1 >= a.size()) throw moefab::ConfigError("command line: " + s + " needs a value");
      return a[++i];
    };
    if (!s.empty() && s[0] == '-') {
      if (!option(s, value)) throw moefab::ConfigError("command line: unknown option " + s + " (see moefab help)");
    } else {
      positional(s);
    }
  }
}

// Takes the one CONFIG argument.
std::function<void(const std::string&)> ConfigArg(std::string& config_path) {
  return [&config_path](const std::string& s) {
    if (!config_path.empty())
      throw moefab::ConfigError("command line: unexpected argument " + s + " (one CONFIG file at most)");
    config_path = s;
  };
}

// Parses `run` arguments.
moefab::RunArgs ParseRun(const std::vector<std::string>& a) {
  moefab::RunArgs args;
  WalkArgs(
      a,
      [&](const std::string& s, const std::function<std::string()>& value) {
        if (s == "--out" || s == "-o") {
          args.out_dir = value();
        } else if (s.rfind("--out=", 0) == 0) {
          args.out_dir = s.substr(6);
        } else if (s == "--rank-mapping") {
          args.rank_mapping = value();
          if (args.rank_mapping != "block" && args.rank_mapping != "round-robin")
            throw moefab::ConfigError("command line: --rank-mapping=" + args.rank_mapping +
                                      ": expected block or round-robin");
        } else if (s == "--transport") {
          args.transport = value();
          if (args.transport != "auto" && args.transport != "mpi" && args.transport != "ucx" && args.transport != "shm")
            throw moefab::ConfigError("command line: --transport " + args.transport +
                                      ": expected auto, mpi, ucx or shm");
        } else if (s == "--report") {
          const std::string list = value();
          size_t pos = 0;
          while (pos <= list.size()) {
            const size_t comma = std::min(list.find(',', pos), list.size());
            const std::string item = list.substr(pos, comma - pos);
            if (item != "csv" && item != "html" && item != "trace" && item != "all")
              throw moefab::ConfigError("command line: --report " + list + ": '" + item +
                                        "' is not one of csv, html, trace, all");
            args.reports.push_back(item);
            pos = comma + 1;
          }
        } else if (s == "--verbose" || s == "-v") {
          args.verbose = true;
        } else {
          return false;
        }
        return true;
      },
      ConfigArg(args.config_path));
  if (args.out_dir.empty()) throw moefab::ConfigError("command line: --out DIR is required (where results.json goes)");
  return args;
}

// Parses `sweep` arguments.
moefab::SweepArgs ParseSweep(const std::vector<std::string>& a) {
  moefab::SweepArgs args;
  WalkArgs(
      a,
      [&](const std::string& s, const std::function<std::string()>& value) {
        if (s == "--out" || s == "-o") {
          args.out_dir = value();
        } else if (s == "--set") {
          args.axes.push_back(moefab::ParseSweepSet(value()));
        } else if (s == "--resume") {
          args.resume = true;
        } else if (s == "--verbose" || s == "-v") {
          args.verbose = true;
        } else {
          return false;
        }
        return true;
      },
      ConfigArg(args.config_path));
  if (args.config_path.empty())
    throw moefab::ConfigError("command line: CONFIG is required (a text-format config file)");
  if (args.axes.empty()) throw moefab::ConfigError("command line: sweep needs at least one --set PATH=V1,V2");
  if (args.out_dir.empty()) throw moefab::ConfigError("command line: --out DIR is required (where sweep.csv goes)");
  return args;
}

// Parses the arguments of the single-process commands (CONFIG required).
moefab::CommandArgs ParseCommand(const std::vector<std::string>& a) {
  moefab::CommandArgs args;
  WalkArgs(
      a,
      [&](const std::string& s, const std::function<std::string()>& value) {
        if (s == "--out" || s == "-o") {
          args.out_dir = value();
        } else if (s == "--cache") {
          args.cache_dir = value();
        } else {
          return false;
        }
        return true;
      },
      ConfigArg(args.config_path));
  if (args.config_path.empty())
    throw moefab::ConfigError("command line: CONFIG is required (a text-format config file)");
  return args;
}

int Main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.empty() || a[0] == "help" || a[0] == "--help" || a[0] == "-h") {
    if (rank0() == 0) std::fputs(kUsage, a.empty() ? stderr : stdout);
    return a.empty() ? moefab::kExitBadInput : moefab::kExitOk;
  }
  if (a[0] == "version" || a[0] == "--version") {
    if (rank0() == 0) std::puts("moefab 0.1.0");
    return moefab::kExitOk;
  }
  if (a[0] == "tapeout" || a[0] == "area" || a[0] == "fabric-bench" || a[0] == "place") {
    if (rank0() != 0) return moefab::kExitOk;  // single-process commands: rank 0 does the work
    try {
      const moefab::CommandArgs args = ParseCommand({a.begin() + 1, a.end()});
      if (a[0] == "tapeout") return moefab::TapeoutCommand(args);
      if (a[0] == "area") return moefab::AreaCommand(args);
      if (a[0] == "place") return moefab::PlaceCommand(args);
      return moefab::FabricBenchCommand(args);
    } catch (const moefab::ConfigError& e) {
      std::fprintf(stderr, "moefab: error: %s\n", e.what());
      return moefab::kExitBadInput;
    }
  }
  if (a[0] == "sweep") {  // every rank runs every point
    moefab::SweepArgs args;
    try {
      args = ParseSweep({a.begin() + 1, a.end()});
    } catch (const moefab::ConfigError& e) {
      if (rank0() == 0) std::fprintf(stderr, "moefab: error: %s\n", e.what());
      return moefab::kExitBadInput;
    }
    return moefab::SweepCommand(args, MPI_COMM_WORLD);
  }
  if (a[0] != "run") {
    if (rank0() == 0) std::fprintf(stderr, "moefab: error: unknown command '%s'\n%s", a[0].c_str(), kUsage);
    return moefab::kExitBadInput;
  }
  moefab::RunArgs args;
  try {
    args = ParseRun({a.begin() + 1, a.end()});
  } catch (const moefab::ConfigError& e) {
    if (rank0() == 0) std::fprintf(stderr, "moefab: error: %s\n", e.what());
    return moefab::kExitBadInput;
  }
  return moefab::RunCommand(args, MPI_COMM_WORLD);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  moefab::SetCheckAbortHook(&AbortAll);
  moefab::InstallStopSignalHandlers(rank0());
  int code = moefab::kExitError;
  try {
    code = Main(argc, argv);
  } catch (const moefab::ConfigError& e) {
    std::fprintf(stderr, "moefab: error [rank %d]: %s\n", rank0(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, moefab::kExitBadInput);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moefab: internal error [rank %d]: %s\n", rank0(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, moefab::kExitError);
  }
  MPI_Finalize();
  return code;
}
