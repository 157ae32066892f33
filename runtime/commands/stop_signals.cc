#include "runtime/commands/stop_signals.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/temp_file.h"

namespace moefab {

namespace {

volatile std::sig_atomic_t g_rank = 0;  // who prints the line

void OnStopSignal(int sig) {
  RemoveTempFileInProgress();
  if (g_rank == 0) {
    const char* line = sig == SIGINT ? "moefab: interrupted (SIGINT): stopping every rank; no results written\n"
                                     : "moefab: terminated (SIGTERM): stopping every rank; no results written\n";
    const ssize_t ignored = ::write(STDERR_FILENO, line, std::strlen(line));
    (void)ignored;
  }
  ::_exit(128 + sig);
}

}  // namespace

void InstallStopSignalHandlers(int rank) {
  g_rank = rank;
  struct sigaction sa {};
  sa.sa_handler = &OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace moefab
