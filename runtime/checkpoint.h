// Checkpoints of a run (`simulation.checkpoint_every_us`, `moefab run --resume`): at the first
// window boundary after each multiple of the interval every rank writes its engine and cluster
// state (runtime/pdes/engine_checkpoint.h, Cluster::SaveState) to DIR/rank-R.state, all ranks
// together: each writes a temporary file, they meet, then each renames it into place. A
// resumed run builds the same cluster, reads its rank's file in place of the first tokens and
// goes on; its results.json equals the uninterrupted run's (host figures aside).
//
// Each file starts with a header: a magic, the format version, a hash of the normalised config
// text (with --set edits), the rank count, the rank and the simulated tick. A resume with
// another config or rank count, a missing or damaged file, or files of different ticks (a crash
// between two ranks' renames) is bad input (exit 2) naming the file.
// Omits: RTL and SAMPLED fidelity (a Verilated slot's state is the simulator's; refused at
// load), SYNC_ASYNC (refused), older generations (each checkpoint replaces the last).
#pragma once

#include <string>

#include <spdlog/spdlog.h>

#include "core/types.h"
#include "runtime/cluster/cluster.h"
#include "runtime/config/options.h"
#include "runtime/transport/transport.h"

namespace moefab {

/// Writes this rank's checkpoint at `tick` into options.checkpoint_dir (every rank calls it).
void WriteCheckpoint(const RunOptions& options, Transport& transport, ClusterEngine& engine, Cluster& cluster,
                     Tick tick, spdlog::logger& log);

/// Before a resumed run: every rank checks its file's header (present, this config, these
/// ranks, one tick for all). Returns the problem (rank 0: the first rank's) or empty; agreed.
std::string CheckCheckpoint(const RunOptions& options, Transport& transport);

/// Reads this rank's checkpoint into a freshly built engine and cluster; returns its tick.
/// Throws ConfigError naming the file when its body does not fit.
Tick ReadCheckpoint(const RunOptions& options, Transport& transport, ClusterEngine& engine, Cluster& cluster);

}  // namespace moefab
