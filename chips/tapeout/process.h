// Child processes of the on-demand RTL builds (verilator, g++, yosys): run with a timeout,
// output to a log file, and the peak memory measured the way `/usr/bin/time -v` does
// (ru_maxrss from wait4, which covers the child and every descendant it waited for).
// POSIX only. Omits: cgroup memory limits (a runaway build is stopped only by its timeout).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moefab::chips::tapeout {

struct ProcessResult {
  int exit_code = -1;                // exit status; -1 when killed by a signal or not started
  int signal = 0;                    // terminating signal, 0 if none
  bool timed_out = false;            // killed (with its process group) after the timeout
  double wall_seconds = 0;           // wall-clock time
  double cpu_seconds = 0;            // user + system time of the child and its descendants
  std::uint64_t peak_rss_bytes = 0;  // largest resident set of the child or any descendant
  [[nodiscard]] bool ok() const { return exit_code == 0 && signal == 0 && !timed_out; }
};

/// One command: argv[0] is looked up in PATH. stdout and stderr are appended to `log_path`.
struct Command {
  std::vector<std::string> argv;
  std::string cwd;  // empty: inherit
};

/// Runs the commands with at most `jobs` at a time; stops starting new ones after a failure.
/// `timeout_seconds` (0 = none) bounds the whole batch: on expiry every running command's
/// process group is killed. Returns the combined result: wall time of the batch, summed CPU,
/// the largest peak RSS, and the first failure's exit code / signal.
ProcessResult RunCommands(const std::vector<Command>& commands, unsigned jobs, double timeout_seconds,
                          const std::string& log_path);

/// Shell-quoted form of a command, for logs and error messages.
std::string CommandLine(const Command& c);

/// The last `max_bytes` of a log file (for error messages).
std::string LogTail(const std::string& log_path, std::size_t max_bytes = 2000);

}  // namespace moefab::chips::tapeout
