// The main of every MPI GoogleTest binary (the LLNL gtest-mpi-listener pattern, reduced):
// MPI up, failed checks abort every rank, only rank 0 prints, and the exit code is the
// worst result over the ranks.
#include <mpi.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/logging.h"

namespace {
void AbortAll() {
  MPI_Abort(MPI_COMM_WORLD, 1);
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  moefab::CheckContext::Rank() = rank;
  moefab::SetCheckAbortHook(&AbortAll);
  moefab::SetUpLogging(moefab::LoggingOptions{rank, "", false});
  for (auto name : {"runtime", "chips"}) moefab::Logger(name)->set_level(spdlog::level::warn);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int local = RUN_ALL_TESTS();
  int global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return global;
}
