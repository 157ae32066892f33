#include "runtime/transport/peer_wait.h"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "core/temp_file.h"

namespace moefab {

namespace {

double g_timeout_seconds = 0;  // set while a simulation runs (runtime/simulate.cc)

constexpr uint32_t kSpins = 2000;   // pause loops before yielding the core
constexpr uint32_t kYields = 64;    // sched_yield calls before sleeping
constexpr uint32_t kClockEvery = 64;  // spins between two looks at the clock

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

void SetPeerTimeoutSeconds(double seconds) {
  g_timeout_seconds = seconds;
}
double PeerTimeoutSeconds() {
  return g_timeout_seconds;
}

PeerWait::PeerWait() : start_(std::chrono::steady_clock::now()) {}

void PeerWait::Restart() {
  start_ = std::chrono::steady_clock::now();
  pauses_ = 0;
}

void PeerWait::Pause() {
  const uint32_t n = pauses_++;
  if (n < kSpins) {
    CpuRelax();
  } else if (n < kSpins + kYields) {
    sched_yield();
  } else {
    // 10 us doubling to 1 ms: a late peer costs at most 1 ms, a stopped one no CPU.
    const long ns = std::min(10'000L << std::min<uint32_t>(n - kSpins - kYields, 7), 1'000'000L);
    timespec t{0, ns};
    nanosleep(&t, nullptr);
  }
}

bool PeerWait::TimedOut() const {
  if (g_timeout_seconds <= 0) return false;
  // The clock is read every kClockEvery spins, and on every yield or sleep.
  if (pauses_ < kSpins && pauses_ % kClockEvery != 0) return false;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= g_timeout_seconds;
}

void PeerTimeoutAbort(RankId me, const std::string& who, const std::string& what) {
  std::fprintf(stderr,
               "moefab: error [rank %u]: no progress from %s for %.0f s while waiting for %s: a rank was stopped "
               "or died (simulation.peer_timeout_seconds); ending the job\n",
               me, who.c_str(), g_timeout_seconds, what.c_str());
  std::fflush(stderr);
  RemoveTempFileInProgress();
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();  // MPI_Abort does not return
}

void WaitRequest(MPI_Request& request, RankId me, const std::string& who, const char* what) {
  PeerWait wait;
  for (;;) {
    int done = 0;
    const int rc = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    MOEFAB_CHECK(rc == MPI_SUCCESS, "MPI call " << what << " failed with code " << rc);
    if (done) return;
    if (wait.TimedOut()) PeerTimeoutAbort(me, who, what);
    wait.Pause();
  }
}

}  // namespace moefab
