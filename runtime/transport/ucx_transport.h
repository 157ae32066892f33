// Transport whose per-window Exchange runs point to point over UCX (UCP tag matching), with
// the worker addresses bootstrapped over MPI. The collectives (AllreduceMin/Sum/Max,
// GatherToRoot, Broadcast) stay on MPI over the same communicator: they carry a few bytes per
// window, or run once at the end, and MPI's tree algorithms already suit them.
//
// Exchange: every rank posts one non-blocking tagged send to every other rank, also when the
// buffer is empty (so each receiver knows when it has everything), then probes for one message
// from every other rank, receives it straight into the result and progresses the worker until
// all sends and receives are complete. The tag is (window sequence << 32 | source rank) and
// receives match it exactly, so messages of different windows never mix (a rank can be at
// most one window ahead of any other).
//
// UCX transports come from the environment, as for any UCX program (UCX_TLS, default "all"),
// unless UcxOptions::tls overrides them. On the dev machines (transports self, tcp, sysv, posix,
// cma) all of these pass the transport tests at 2 and 4 ranks: "all" (default; picks sysv for
// eager messages and cma for rendezvous above 8 KiB), "sm" (= sysv,posix,cma), "shm", "posix",
// "sysv", "tcp", "self,tcp", "^cma". "cma" or "self" alone cannot carry messages to another
// process: the constructor aborts in ucp_ep_create ("Destination is unreachable"); an unknown
// name aborts in ucp_init ("No such device").
//
// Every UCX error is a loud abort (MOEFAB_CHECK) naming the rank, the call and the peer. The
// destructor closes the endpoints (flush), waits on a non-blocking MPI barrier while it keeps
// progressing the worker, then destroys the worker and the context: destroy the transport on
// all ranks and before MPI_Finalize. Thread mode single: one thread per rank uses it.
#pragma once

#include <mpi.h>
#include <ucp/api/ucp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/transport.h"

namespace moefab {

struct UcxOptions {
  /// UCX transports, as for UCX_TLS (e.g. "sm", "tcp", "^cma"); empty: from the environment.
  std::string tls;
};

class UcxTransport final : public Transport {
 public:
  /// Collective over `comm` (borrowed; must outlive the transport).
  explicit UcxTransport(MPI_Comm comm, const UcxOptions& options = {});
  ~UcxTransport() override;
  UcxTransport(const UcxTransport&) = delete;
  UcxTransport& operator=(const UcxTransport&) = delete;

  [[nodiscard]] RankId rank() const override { return mpi_.rank(); }
  [[nodiscard]] RankId size() const override { return mpi_.size(); }
  Tick AllreduceMin(Tick local) override { return mpi_.AllreduceMin(local); }          // MPI
  uint64_t AllreduceSum(uint64_t local) override { return mpi_.AllreduceSum(local); }  // MPI
  std::vector<Bytes> Exchange(const std::vector<Bytes>& outgoing) override;            // UCX
  std::vector<Bytes> GatherToRoot(const Bytes& local) override {                       // MPI
    return mpi_.GatherToRoot(local);
  }
  Bytes Broadcast(const Bytes& from_root) override { return mpi_.Broadcast(from_root); }  // MPI
  [[nodiscard]] const char* name() const override { return "ucx"; }

  /// The UCX transports in use towards each peer, e.g. "rank 1: posix/memory ..." (diagnostics).
  [[nodiscard]] std::string Describe() const;

 private:
  void Progress();  // one ucp_worker_progress, yielding the core when idle for a while
  void Wait(void* request, const char* call, RankId peer);  // progress until done; check status

  MpiTransport mpi_;  // bootstrap communicator and collectives
  MPI_Comm comm_;     // borrowed
  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  std::vector<ucp_ep_h> eps_;  // eps_[r]: endpoint to rank r; nullptr for this rank
  uint32_t window_ = 0;        // Exchange sequence number (wraps; only parity matters)
  unsigned idle_spins_ = 0;    // consecutive progress calls that did nothing
};

/// The runtime's transport by name: "mpi" (MpiTransport), "ucx" (UcxTransport, transports
/// from UCX_TLS), "shm" (ShmTransport: every rank on one node) or "auto" (shm when every rank
/// shares one node, else mpi). Collective over `comm` (borrowed). ConfigError for any other
/// kind, or for "shm" across nodes.
std::unique_ptr<Transport> MakeTransport(const std::string& kind, MPI_Comm comm);

}  // namespace moefab
