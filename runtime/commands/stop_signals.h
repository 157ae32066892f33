// SIGINT / SIGTERM: every rank stops at once. The handler removes the temporary file being
// written (core/temp_file.h), rank 0 prints one line, and the process exits with 128 + signal
// (130 / 143) without results. Under mpirun a signal to mpirun reaches every rank.
#pragma once

namespace moefab {

/// Installs the handlers; `rank` decides who prints the line.
void InstallStopSignalHandlers(int rank);

}  // namespace moefab
