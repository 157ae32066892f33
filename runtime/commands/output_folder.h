// The --out folder of run and sweep: created and probed for writing on every rank after the
// config is valid and before anything is simulated, so that an unusable folder (a file, a
// read-only or full filesystem) is bad input (exit 2) on every rank, not an error at the end.
#pragma once

#include <string>

#include "runtime/transport/transport.h"

namespace moefab {

/// Creates `dir` and `dir`/logs and writes and removes a probe file in each; agreed over
/// `control`. Returns the problem (on rank 0 the first rank's text) or empty when every rank
/// can write.
std::string PrepareOutputFolder(const std::string& dir, Transport& control);

}  // namespace moefab
