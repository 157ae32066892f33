// The cluster model: the chips and routers of the nodes this rank owns, driven by the engine.
//
// Phases (once, in this order): Build (constructor: settings and plan -> node state, RTL
// engines loaded with their weights, only for owned nodes) -> Init (ScheduleFabricEvents, then
// ScheduleInitialTokens: the workload's first tokens) -> Run (the engine calls Handle for each
// event) -> Finish (Report: this rank's statistics and final hidden states, for rank 0 to
// merge).
//
// Node models:
// - router at every node: the credit-based network of fabric/network.h (finite buffers,
//   virtual channels, DOR or table routing, OCS rewiring), driven through a NetContext
//   adapter; messages carry the real activation bytes (or only their size, timing-only),
//   tagged with (type, layer, expert, token).
// - attention chip: attention_chip.h (the home of its tokens: attention, gate, combine).
// - expert chip: expert_chip.h (slots behind an ingress queue and an egress arbiter).
// The cluster assembles the chips and dispatches each event to its node's chip or router.
#pragma once

#include <memory>
#include <vector>

#include "core/log_histogram.h"
#include "fabric/network.h"
#include "runtime/cluster/attention_chip.h"
#include "runtime/cluster/chip_actions.h"
#include "runtime/cluster/cluster_event.h"
#include "runtime/cluster/expert_chip.h"
#include "runtime/cluster/memory_expert_chip.h"
#include "runtime/cluster/rtl_engines.h"
#include "runtime/config/options.h"
#include "runtime/pdes/engine.h"
#include "runtime/plan/cluster_plan.h"
#include "runtime/plan/model_data.h"
#include "runtime/results/rank_report.h"

namespace moefab {

class Cluster;
using ClusterEngine = pdes::Engine<Cluster, ClusterPayloads>;

class Cluster final : private ChipActions {
 public:
  using Payloads = ClusterPayloads;

  /// Builds the owned nodes. `engine` decides ownership; the plan's fabric is the network
  /// this run drives (the same on every rank); all are borrowed and outlive this.
  Cluster(const RunOptions& options, const ClusterPlan& plan, ClusterEngine& engine,
          std::shared_ptr<spdlog::logger> log, bool fault_sampled_rtl = false);
  ~Cluster() override;

  /// Schedules the fabric's own initial events (rewiring steps) of the owned nodes.
  void ScheduleFabricEvents();
  void ScheduleInitialTokens();

  // The engine's handlers, one per payload type.
  void Handle(const pdes::EventHead& head, NetEventPayload& p);
  /// A hint from the engine: the next event is for `node` (its fabric state is fetched).
  void Prefetch(NodeId node) const { net_.Prefetch(node); }
  void Handle(const pdes::EventHead& head, ChipEvent& e);
  void Handle(const pdes::EventHead& head, Delivery& d);

  /// After a window: when this rank may next send an event to another (the fabric's horizon).
  [[nodiscard]] pdes::Horizon CrossRankHorizon();
  /// The same for the asynchronous protocol, per peer rank.
  [[nodiscard]] Tick PacketLookahead(RankId peer) const { return net_.PacketLookaheadPs(peer); }
  [[nodiscard]] pdes::PeerHorizon PeerBound(RankId peer, Tick peer_done) {
    const fabric::Network::PeerHorizon h = net_.PeerBound(peer, peer_done);
    return pdes::PeerHorizon{h.credits_in, h.credits_out_after};
  }
  /// While the other ranks finish a window: one slice of RTL work that is behind (RTL
  /// fidelity: the values of jobs whose timing is known), up to the cycles whose inputs are
  /// all known. False when there is none.
  bool Background();
  /// Tokens finished on this rank (the engine sums it over the ranks for progress lines).
  [[nodiscard]] uint64_t ProgressCount() const { return tokens_done(); }

  /// Checkpoints (with the engine's part, between windows): the routers, chips and counters of
  /// this rank's nodes. ANALYTIC fidelity only (Verilated slots keep their state in the
  /// simulator). LoadState reads them into a cluster built from the same settings and ranks
  /// in place of ScheduleFabricEvents / ScheduleInitialTokens; a checkpoint of another rank
  /// or cluster is a ConfigError naming the file.
  void SaveState(StateWriter& w);
  void LoadState(StateReader& r);

  /// This rank's share of the results (tokens homed here, links and chips owned here).
  [[nodiscard]] RankReport Report() const;
  /// Tokens finished on this rank so far.
  [[nodiscard]] uint64_t tokens_done() const;

  /// The attention chips in node order; token t is homed on AttentionNodes()[t % count].
  static std::vector<NodeId> AttentionNodes(const RunOptions& options);

 private:
  struct Node {
    std::unique_ptr<AttentionChip> attention;
    std::unique_ptr<ExpertChipModel> expert;
    std::unique_ptr<MemoryExpertChip> memory_expert;  // weight_style HBM
  };

  // ChipActions, for the chips of this rank.
  void Schedule(NodeId node, EventKind kind, Tick tick, const ChipEvent& e) override;
  void Send(OutgoingMessage m) override;  // hand a message to the fabric at m.src, now
  [[nodiscard]] Tick now() const override { return engine_.now(); }

  class NetAdapter;  // fabric::NetContext over the engine

  const RunOptions& options_;  // borrowed
  const ClusterPlan& plan_;    // borrowed
  ClusterEngine& engine_;      // borrowed
  std::shared_ptr<spdlog::logger> log_;
  fabric::Network& net_;  // borrowed
  ModelData data_;
  RtlEngines rtl_;                           // this rank's Verilated engine factory
  template <class Ar>
  void ArchiveState(Ar& ar);

  std::vector<Node> nodes_;                  // indexed by node id; only owned nodes are populated
  std::vector<uint64_t> expert_jobs_;        // per (layer * E + expert): jobs run on chips of this rank
  Tick dispatch_network_ps_ = 0;             // sum over jobs: home -> expert chip in the fabric
  Tick return_network_ps_ = 0;               // sum over jobs: expert chip -> home in the fabric
  LogHistogram message_latency_;             // messages delivered to this rank's chips (ps)
  uint64_t tokens_done_ = 0;                 // tokens finished on this rank's attention chips
  std::vector<ExpertChipModel*> rtl_chips_;  // owned expert chips with RTL slots (Background)
  size_t next_rtl_chip_ = 0;                 // Background: the chip to look at first
};

}  // namespace moefab
