// Logging: one place creates the sinks and one named logger per layer (chips, fabric, router,
// runtime). Rank 0 logs info to the console, other ranks only warnings; every rank may also
// write its own file. Every line carries the rank. Results are never logs: they go to
// results.json.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace moefab {

struct LoggingOptions {
  int rank = 0;          // this process's MPI rank
  std::string log_file;  // per-rank log file; empty = console only
  bool verbose = false;  // debug level on the console
};

/// Creates (or re-creates) the loggers. Safe to call before MPI is up (rank 0 assumed).
void SetUpLogging(const LoggingOptions& options);

/// True when `rank` is 0 and stderr is a terminal: progress is a live bar on the console and
/// the "progress" logger writes the rank's file alone.
bool ProgressOnTerminal(int rank);

/// The logger of a layer: "chips", "fabric", "router", "runtime" or "progress".
std::shared_ptr<spdlog::logger> Logger(const std::string& layer);

}  // namespace moefab
