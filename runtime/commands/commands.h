// The moefab subcommands other than `run` (run.h). Each returns the process exit code and
// throws ConfigError for bad input (main turns it into exit code 2).
#pragma once

#include <mpi.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace moefab {

class Transport;

struct CommandArgs {
  std::string config_path;  // CONFIG
  std::string out_dir;      // --out
  std::string cache_dir;    // --cache (tapeout)
};

int TapeoutCommand(const CommandArgs& args);
int AreaCommand(const CommandArgs& args);
/// `moefab blocks CONFIG [--out DIR]` (cmd_blocks.cc): block-library statistics, DIR/blocks.txt.
int BlocksCommand(const CommandArgs& args);
int FabricBenchCommand(const CommandArgs& args);
/// `moefab place CONFIG [--out DIR]` (cmd_place.cc): placement metrics, DIR/placement.txt.
int PlaceCommand(const CommandArgs& args);

/// `moefab sweep` (cmd_sweep.cc): one axis of the grid per --set.
struct SweepAxis {
  std::string arg;                  // the --set argument as given, for messages
  std::string path;                 // field path, e.g. workload.concurrency, skus[1].mac_lanes
  std::vector<std::string> values;  // the values, in order (each a text for SetConfigField)
};

struct SweepArgs {
  std::string config_path;      // CONFIG (required)
  std::string out_dir;          // --out (required)
  std::vector<SweepAxis> axes;  // --set, in order; the grid is their cartesian product
  bool verbose = false;         // --verbose
  std::vector<std::string> reports;  // --report csv,html,trace|all: extra outputs of every point
  bool resume = false;          // --resume: keep the points an earlier run into out_dir finished
};

/// Parses one --set argument "PATH=V1,V2,...". Throws ConfigError naming it.
SweepAxis ParseSweepSet(const std::string& arg);

/// Sets the field at `path` of a moefab.config.Config (or any message) from text by proto
/// reflection: nested fields by '.', repeated messages by [index], enums by value name,
/// repeated scalars whole ("4x4x4"; enums, strings, bools joined by '+') or one element
/// (dims[1]). Throws ConfigError naming the path, the value and what was expected.
void SetConfigField(google::protobuf::Message& config, const std::string& path, const std::string& value);

/// Makes the transport of one sweep point from its simulation.transport ("mpi" or "ucx").
using TransportFactory = std::function<std::unique_ptr<Transport>(const std::string& kind)>;

/// The sweep on the ranks of `control` (collective): validates every point, then simulates
/// each over a transport from `make_transport`; rank 0 writes DIR/sweep.csv and
/// DIR/point-NNN/{config.textproto,results.json}. Returns the exit code (same on all ranks):
/// 0, 2 for a bad grid or config (nothing run), 3 if any point's golden check failed.
int RunSweep(const SweepArgs& args, Transport& control, const TransportFactory& make_transport);

/// RunSweep over MPI on `comm` (every rank of it), with per-rank logs in DIR/logs.
int SweepCommand(const SweepArgs& args, MPI_Comm comm);

}  // namespace moefab
