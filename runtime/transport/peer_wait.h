// How a rank waits for the others: it backs off from spinning to sleeping (a rank that shares
// a core with the one it waits for must not starve it), and it gives up when the ranks it waits
// for have shown no progress for the peer timeout (`simulation.peer_timeout_seconds`, default
// 300 s): a rank that was stopped (SIGSTOP, a debugger, a swapped-out node) or died without
// mpirun noticing. Giving up prints one line naming the rank(s) waited for and ends the job
// (MPI_Abort, exit 1): a hung job that burns its allocation in silence is the worse outcome.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "core/types.h"

namespace moefab {

/// The process's peer timeout (seconds; 0, the default, waits forever). Simulate sets it from
/// the config for the engine's run alone, after a collective that every rank reaches once its
/// chips are built: start-up and the end (the golden check runs only where tokens are homed)
/// may keep ranks apart for long, legitimately.
void SetPeerTimeoutSeconds(double seconds);
[[nodiscard]] double PeerTimeoutSeconds();

/// One wait for other ranks. Pause() backs off: a short spin (two ranks on two cores meet in
/// well under a microsecond), then sched_yield, then sleeps that grow to 1 ms. TimedOut() is
/// true once the wait has lasted the peer timeout.
class PeerWait {
 public:
  PeerWait();
  void Pause();
  [[nodiscard]] bool TimedOut() const;
  /// Restarts the clock (the peers showed progress).
  void Restart();

 private:
  std::chrono::steady_clock::time_point start_;
  uint32_t pauses_ = 0;
};

/// Prints "moefab: error [rank ME]: no progress from WHO for N s while waiting for WHAT ..."
/// once on stderr and ends the job.
[[noreturn]] void PeerTimeoutAbort(RankId me, const std::string& who, const std::string& what);

/// Waits for a non-blocking MPI operation with PeerWait's back-off and timeout; `who` names the
/// rank(s) it depends on for the message.
void WaitRequest(MPI_Request& request, RankId me, const std::string& who, const char* what);

}  // namespace moefab
