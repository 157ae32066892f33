#include "runtime/transport/ucx_transport.h"

#include "runtime/transport/peer_wait.h"

#include "runtime/transport/shm_transport.h"

#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "core/error.h"

namespace moefab {

namespace {

// Loud abort for a failed UCX call: rank, call, peer (if any) and UCX's own message.
#define MOEFAB_UCX_CHECK(status, call, rank, peer)                                                                 \
  MOEFAB_CHECK((status) == UCS_OK,                                                                                 \
               "UCX " << (call) << " failed on rank " << (rank)                                                    \
                      << ((peer) == kNoPeer ? std::string() : " (peer rank " + std::to_string(peer) + ")") << ": " \
                      << ucs_status_string(status))

constexpr RankId kNoPeer = ~RankId{0};

void CheckMpi(int rc, const char* what, RankId rank) {
  MOEFAB_CHECK(rc == MPI_SUCCESS, "MPI call " << what << " failed on rank " << rank << " with code " << rc);
}

// Tag of the message from `source` in window `window`: receives match all 64 bits.
ucp_tag_t Tag(uint32_t window, RankId source) {
  return (static_cast<ucp_tag_t>(window) << 32) | static_cast<ucp_tag_t>(source);
}
constexpr ucp_tag_t kFullMask = ~ucp_tag_t{0};

// Turns a UCS_PTR status into a request (nullptr: already complete) or aborts.
void* RequestOrAbort(ucs_status_ptr_t p, const char* call, RankId rank, RankId peer) {
  if (UCS_PTR_IS_ERR(p)) {
    const ucs_status_t status = UCS_PTR_STATUS(p);
    MOEFAB_UCX_CHECK(status, call, rank, peer);
  }
  return p;
}

std::byte g_dummy{};  // buffer for zero-length sends and receives

}  // namespace

UcxTransport::UcxTransport(MPI_Comm comm, const UcxOptions& options)
    : mpi_(comm), comm_(comm), eps_(mpi_.size(), nullptr) {
  const RankId me = rank();
  const RankId n = size();

  ucp_config_t* config = nullptr;
  MOEFAB_UCX_CHECK(ucp_config_read(nullptr, nullptr, &config), "ucp_config_read", me, kNoPeer);
  if (!options.tls.empty()) {
    const ucs_status_t s = ucp_config_modify(config, "TLS", options.tls.c_str());
    if (s != UCS_OK) ucp_config_release(config);
    MOEFAB_CHECK(s == UCS_OK, "UCX ucp_config_modify(TLS=" << options.tls << ") failed on rank " << me << ": "
                                                           << ucs_status_string(s));
  }
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED | UCP_PARAM_FIELD_ESTIMATED_NUM_EPS;
  params.features = UCP_FEATURE_TAG;
  params.mt_workers_shared = 0;
  params.estimated_num_eps = n;
  const ucs_status_t init = ucp_init(&params, config, &context_);
  ucp_config_release(config);
  MOEFAB_UCX_CHECK(init, "ucp_init", me, kNoPeer);

  ucp_worker_params_t wparams{};
  wparams.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  wparams.thread_mode = UCS_THREAD_MODE_SINGLE;
  MOEFAB_UCX_CHECK(ucp_worker_create(context_, &wparams, &worker_), "ucp_worker_create", me, kNoPeer);

  // Bootstrap: every rank's worker address, over MPI.
  ucp_address_t* address = nullptr;
  size_t address_len = 0;
  MOEFAB_UCX_CHECK(ucp_worker_get_address(worker_, &address, &address_len), "ucp_worker_get_address", me, kNoPeer);
  MOEFAB_CHECK(address_len < (1U << 30), "UCX worker address too long: " << address_len);
  const int my_len = static_cast<int>(address_len);
  std::vector<int> lens(n), displs(n, 0);
  CheckMpi(MPI_Allgather(&my_len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm_), "MPI_Allgather(UCX address sizes)", me);
  for (RankId r = 1; r < n; ++r) displs[r] = displs[r - 1] + lens[r - 1];
  std::vector<char> all(static_cast<size_t>(displs[n - 1] + lens[n - 1]));
  CheckMpi(MPI_Allgatherv(address, my_len, MPI_BYTE, all.data(), lens.data(), displs.data(), MPI_BYTE, comm_),
           "MPI_Allgatherv(UCX addresses)", me);
  ucp_worker_release_address(worker_, address);

  for (RankId r = 0; r < n; ++r) {
    if (r == me) continue;
    ucp_ep_params_t ep_params{};
    ep_params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep_params.address = reinterpret_cast<const ucp_address_t*>(all.data() + displs[r]);
    MOEFAB_UCX_CHECK(ucp_ep_create(worker_, &ep_params, &eps_[r]), "ucp_ep_create", me, r);
  }
}

UcxTransport::~UcxTransport() {
  const RankId me = rank();
  int finalized = 0;
  MPI_Finalized(&finalized);
  // Flush and close every endpoint; peers may need our progress to finish theirs, so keep
  // progressing until they all are done too (non-blocking barrier).
  std::vector<std::pair<void*, RankId>> closing;
  for (RankId r = 0; r < eps_.size(); ++r) {
    if (eps_[r] == nullptr) continue;
    ucp_request_param_t param{};
    param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    param.flags = finalized ? UCP_EP_CLOSE_FLAG_FORCE : 0;
    void* req = RequestOrAbort(ucp_ep_close_nbx(eps_[r], &param), "ucp_ep_close_nbx", me, r);
    if (req != nullptr) closing.emplace_back(req, r);
    eps_[r] = nullptr;
  }
  for (auto [req, peer] : closing) Wait(req, "ucp_ep_close_nbx", peer);
  if (!finalized) {
    MPI_Request barrier = MPI_REQUEST_NULL;
    CheckMpi(MPI_Ibarrier(comm_, &barrier), "MPI_Ibarrier(UCX shutdown)", me);
    for (int done = 0; !done;) {
      Progress();
      CheckMpi(MPI_Test(&barrier, &done, MPI_STATUS_IGNORE), "MPI_Test(UCX shutdown)", me);
    }
  }
  ucp_worker_destroy(worker_);
  ucp_cleanup(context_);
}

void UcxTransport::Progress() {
  if (ucp_worker_progress(worker_) != 0) {
    idle_spins_ = 0;
  } else if (++idle_spins_ >= 64) {
    // Give the core away when nothing moves: ranks may outnumber cores (oversubscribed tests).
    idle_spins_ = 0;
    sched_yield();
  }
}

void UcxTransport::Wait(void* request, const char* call, RankId peer) {
  if (request == nullptr) return;
  ucs_status_t status;
  PeerWait wait;
  while ((status = ucp_request_check_status(request)) == UCS_INPROGRESS) {
    if (wait.TimedOut()) PeerTimeoutAbort(rank(), "rank " + std::to_string(peer), call);
    Progress();
    wait.Pause();
  }
  ucp_request_free(request);
  MOEFAB_UCX_CHECK(status, call, rank(), peer);
}

std::vector<Bytes> UcxTransport::Exchange(const std::vector<Bytes>& outgoing) {
  const RankId me = rank();
  const RankId n = size();
  MOEFAB_CHECK(outgoing.size() == n,
               "Exchange needs one buffer per rank, got " << outgoing.size() << " for " << n << " ranks");
  std::vector<Bytes> incoming(n);
  incoming[me] = outgoing[me];
  if (n == 1) return incoming;
  const uint32_t window = window_++;

  // Post every send (empty ones too), then receive one message per peer as it arrives.
  std::vector<std::pair<void*, RankId>> sends;
  sends.reserve(n - 1);
  for (RankId r = 0; r < n; ++r) {
    if (r == me) continue;
    const Bytes& b = outgoing[r];
    ucp_request_param_t param{};  // contiguous bytes, no callback: polled below
    void* req =
        RequestOrAbort(ucp_tag_send_nbx(eps_[r], b.empty() ? &g_dummy : b.data(), b.size(), Tag(window, me), &param),
                       "ucp_tag_send_nbx", me, r);
    if (req != nullptr) sends.emplace_back(req, r);
  }

  std::vector<RankId> waiting;  // peers whose message has not been probed yet
  waiting.reserve(n - 1);
  for (RankId r = 0; r < n; ++r)
    if (r != me) waiting.push_back(r);
  std::vector<std::pair<void*, RankId>> recvs;
  recvs.reserve(n - 1);
  PeerWait wait;  // restarted whenever a peer's message arrives
  while (!waiting.empty()) {
    for (size_t i = 0; i < waiting.size();) {
      const RankId src = waiting[i];
      ucp_tag_recv_info_t info{};
      ucp_tag_message_h msg = ucp_tag_probe_nb(worker_, Tag(window, src), kFullMask, /*remove=*/1, &info);
      if (msg == nullptr) {
        ++i;
        continue;
      }
      MOEFAB_CHECK(info.sender_tag == Tag(window, src), "UCX message with tag " << info.sender_tag << " on rank " << me
                                                                                << " matched window " << window
                                                                                << " from rank " << src);
      Bytes& in = incoming[src];
      in.resize(info.length);
      ucp_request_param_t param{};
      void* req =
          RequestOrAbort(ucp_tag_msg_recv_nbx(worker_, in.empty() ? &g_dummy : in.data(), info.length, msg, &param),
                         "ucp_tag_msg_recv_nbx", me, src);
      if (req != nullptr) recvs.emplace_back(req, src);
      waiting[i] = waiting.back();
      waiting.pop_back();
      wait.Restart();
    }
    if (waiting.empty()) break;
    if (wait.TimedOut()) {
      std::string who;
      for (RankId r : waiting) who += (who.empty() ? "rank " : ", rank ") + std::to_string(r);
      PeerTimeoutAbort(me, who, "the window exchange");
    }
    Progress();
    wait.Pause();
  }
  for (auto [req, peer] : recvs) Wait(req, "ucp_tag_msg_recv_nbx", peer);
  for (auto [req, peer] : sends) Wait(req, "ucp_tag_send_nbx", peer);
  return incoming;
}

std::string UcxTransport::Describe() const {
  std::string out;
  for (RankId r = 0; r < eps_.size(); ++r) {
    if (eps_[r] == nullptr) continue;
    char* buf = nullptr;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    MOEFAB_CHECK(f != nullptr, "open_memstream failed on rank " << rank());
    ucp_ep_print_info(eps_[r], f);
    std::fclose(f);
    out += "to rank " + std::to_string(r) + ":\n" + std::string(buf, len);
    std::free(buf);
  }
  return out;
}

std::unique_ptr<Transport> MakeTransport(const std::string& kind, MPI_Comm comm) {
  if (kind == "mpi") return std::make_unique<MpiTransport>(comm);
  if (kind == "ucx") return std::make_unique<UcxTransport>(comm);
  if (kind == "shm" || kind == "auto") {
    if (ShmTransport::OnOneNode(comm)) return std::make_unique<ShmTransport>(comm);
    if (kind == "auto") return std::make_unique<MpiTransport>(comm);
    throw ConfigError("transport \"shm\": the ranks are on more than one node; expected \"mpi\", \"ucx\" or \"auto\"");
  }
  throw ConfigError("unknown transport \"" + kind + "\"; expected \"auto\", \"mpi\", \"ucx\" or \"shm\"");
}

}  // namespace moefab
