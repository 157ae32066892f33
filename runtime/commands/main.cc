// The moefab command: parses the command line (command_line.h: CLI11, one option table per
// command, `moefab help COMMAND`) and runs the command. Works alone (1 rank) and under
// mpirun -np N. Exit codes: 0 ok, 1 error, 2 bad input,
// 3 golden mismatch.
#include <mpi.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/commands/command_line.h"
#include "runtime/commands/commands.h"
#include "runtime/commands/run.h"
#include "runtime/commands/stop_signals.h"

namespace {

void AbortAll() {
  MPI_Abort(MPI_COMM_WORLD, 1);
}

int rank0() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int Main(int argc, char** argv) {
  moefab::CommandLine cl;
  try {
    cl = moefab::ParseCommandLine({argv + 1, argv + argc});
  } catch (const moefab::ConfigError& e) {
    if (rank0() == 0) std::fprintf(stderr, "moefab: error: %s\n", e.what());
    return moefab::kExitBadInput;
  }
  switch (cl.action) {
    case moefab::CommandLine::Action::kPrint:
      if (rank0() == 0) std::fputs(cl.text.c_str(), cl.to_stderr ? stderr : stdout);
      return cl.exit_code;
    case moefab::CommandLine::Action::kRun:
      return moefab::RunCommand(cl.run, MPI_COMM_WORLD);
    case moefab::CommandLine::Action::kSweep:  // every rank runs every point
      return moefab::SweepCommand(cl.sweep, MPI_COMM_WORLD);
    case moefab::CommandLine::Action::kSingle:
      break;
  }
  if (rank0() != 0) return moefab::kExitOk;  // single-process commands: rank 0 does the work
  try {
    if (cl.command == "tapeout") return moefab::TapeoutCommand(cl.single);
    if (cl.command == "area") return moefab::AreaCommand(cl.single);
    if (cl.command == "blocks") return moefab::BlocksCommand(cl.single);
    if (cl.command == "place") return moefab::PlaceCommand(cl.single);
    return moefab::FabricBenchCommand(cl.single);
  } catch (const moefab::ConfigError& e) {
    std::fprintf(stderr, "moefab: error: %s\n", e.what());
    return moefab::kExitBadInput;
  }
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
