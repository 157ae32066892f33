// The moefab command line, parsed with CLI11: one option table per command (run, sweep,
// tapeout, area, blocks, fabric-bench, place), each printed by `moefab COMMAND --help` (or -h, or
// `moefab help COMMAND`), one line per option. Parsing is pure (no MPI, no files): main.cc
// prints on rank 0 and dispatches.
#pragma once

#include <string>
#include <vector>

#include "runtime/commands/commands.h"
#include "runtime/commands/run.h"

namespace moefab {

struct CommandLine {
  enum class Action {
    kPrint,   // print `text` (help, version) to stdout and exit with `exit_code`
    kRun,     // moefab run: `run`
    kSweep,   // moefab sweep: `sweep`
    kSingle,  // tapeout, area, blocks, fabric-bench, place (rank 0 only): `single`
  };
  Action action = Action::kPrint;
  std::string command;  // run, sweep, tapeout, area, blocks, fabric-bench, place (or empty)
  std::string text;     // kPrint: what to print
  bool to_stderr = false;
  int exit_code = 0;
  RunArgs run;
  SweepArgs sweep;
  CommandArgs single;
};

/// The global usage (`moefab help`): every command in one line and how to get its options.
std::string GlobalUsage();

/// The options of one command, one line each (`moefab help COMMAND`). Empty for an unknown one.
std::string CommandHelp(const std::string& command);

/// Parses argv[1..] (`args`). Throws ConfigError with one line ("command line: ...") for a bad
/// command line: unknown command or option, a missing value, a value not allowed, a missing
/// required argument.
CommandLine ParseCommandLine(const std::vector<std::string>& args);

}  // namespace moefab
