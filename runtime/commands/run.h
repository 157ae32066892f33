// `moefab run`: load the config, build this rank's part of the cluster, simulate, check every
// token against the golden model, gather the results on rank 0 and write results.json.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace moefab {

struct RunArgs {
  std::string config_path;           // empty: the embedded default config
  std::string out_dir;               // where results.json goes
  std::string rank_mapping;          // "", "block" or "round-robin": overrides the config
  bool verbose = false;              // debug logging on rank 0's console
  std::vector<std::string> reports;  // --report csv,html,trace|all: extra outputs
  std::string transport;             // --transport auto|mpi|ucx|shm: overrides the config
  std::vector<std::string> sets;     // --set PATH=VALUE: config fields set before validation
  bool resume = false;               // --resume: go on from out_dir/checkpoint (runtime/checkpoint.h)
};

/// Exit codes of moefab.
enum ExitCode : int { kExitOk = 0, kExitError = 1, kExitBadInput = 2, kExitGoldenMismatch = 3 };

/// Runs on every rank of `comm`; returns the process exit code (the same on every rank).
int RunCommand(const RunArgs& args, MPI_Comm comm);

}  // namespace moefab
