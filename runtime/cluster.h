// The cluster model: the chips and routers of the nodes this rank owns, driven by the engine.
//
// Phases (once, in this order): Build (constructor: validated options -> node state, RTL
// engines loaded with their weights, only for owned nodes) -> Init (ScheduleInitialTokens:
// the closed-loop workload's first tokens) -> Run (Engine::Run calls Handle) -> Finish
// (Report: this rank's statistics and final hidden states, for rank 0 to merge).
//
// Node models:
// - router at every node: the credit-based network of fabric/network.h (finite buffers,
//   virtual channels, DOR or table routing, OCS rewiring), driven through a NetContext
//   adapter; messages carry the real activation bytes (or only their size, timing-only).
// - attention chip: one core, FIFO, that runs attention (timing model: fixed time per token
//   per layer), the dispatch quantisation and the gate (functional: int8 activations with a
//   per-token exponent, int8 gate weights, softmax top-k) and the combine (functional:
//   fixed-point weighted sum of int16 expert outputs + residual). Holds the tokens' int16
//   hidden states.
// - expert chip: see expert_chip.h (slots behind an ingress queue and an egress arbiter).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "chips/expert_engine.h"
#include "fabric/network.h"
#include "router/replica_choice.h"
#include "router/topk.h"
#include "runtime/core/log_histogram.h"
#include "runtime/engine.h"
#include "runtime/expert_chip.h"
#include "runtime/model_data.h"
#include "runtime/options.h"
#include "runtime/report.h"
#include "runtime/rtl_engines.h"

namespace moefab {

class Cluster final : public EventHandler, private ChipActions {
 public:
  /// Builds the owned nodes. `engine` decides ownership; `net` is the fabric (the same on
  /// every rank); all are borrowed and outlive this.
  Cluster(const RunOptions& options, Engine& engine, fabric::Network& net,
          std::shared_ptr<spdlog::logger> log);
  ~Cluster() override;

  void ScheduleInitialTokens();
  void Handle(Event& e, Engine& engine) override;
  /// This rank's share of the results (tokens homed here, links and chips owned here).
  [[nodiscard]] RankReport Report() const;
  /// Schedules the fabric's own initial events (rewiring steps) of the owned nodes.
  void ScheduleFabricEvents();
  /// Tokens finished on this rank so far.
  [[nodiscard]] uint64_t tokens_done() const { return tokens_done_; }

  /// The attention chips in node order; token t is homed on AttentionNodes()[t % count].
  static std::vector<NodeId> AttentionNodes(const RunOptions& options);

 private:
  struct TokenState {
    uint32_t id = 0;                  // token id
    uint32_t index_at_home = 0;       // position among its home chip's tokens (capacity windows)
    uint32_t context = 0;             // context length of this decode step (attention timing)
    Tick start_ps = 0;                // entered its home chip (arrival)
    uint32_t layer = 0;               // current MoE layer
    std::vector<int16_t> h;           // hidden state (int16 at the residual scale)
    router::Selection selection;      // experts of the current layer
    std::vector<std::vector<int16_t>> outputs;  // per selected expert: its output vector
    uint32_t received = 0;            // outputs received for the current layer
    Tick phase_start_ps = 0;          // tick the current phase began (ps)
    TokenBreakdown breakdown;         // where its time went
    std::vector<uint32_t> dropped;    // capacity overflow: layer * E + expert
    std::vector<uint32_t> routed;     // write_trace: per layer k experts, k weights
  };
  struct AttentionChip {
    Tick core_free_ps = 0;            // the core is busy until this tick
    Tick busy_ps = 0;                 // total core service time
    std::vector<uint32_t> pending;    // tokens homed here, in start order
    size_t next_pending = 0;          // index of the next token to start (closed loop)
    std::map<uint32_t, TokenState> tokens;  // in flight, by id
    std::unique_ptr<router::ReplicaChooser> chooser;  // which replica each job goes to
    // Capacity: jobs sent per (window, layer) and expert, from this home.
    std::map<std::pair<uint32_t, uint32_t>, std::vector<uint32_t>> capacity_used;
    uint64_t flops = 0;               // attention and dense-layer FLOPs run (energy)
  };
  struct Node {
    std::unique_ptr<AttentionChip> attention;
    std::unique_ptr<ExpertChipModel> expert;
  };

  // ChipActions, for the expert chips of this rank.
  void Schedule(Event&& e) override { engine_.Schedule(std::move(e)); }
  void Send(Event packet) override;   // hand a message to the fabric at packet.src, now
  [[nodiscard]] Tick now() const override { return engine_.now(); }

  class NetAdapter;                   // fabric::NetContext over the engine
  void OnNetEvent(Event& e);
  void OnDeliver(Event& e);
  void OnAttentionDone(Event& e);
  void OnCombineDone(Event& e);
  void OnTokenStart(Event& e);
  // Attention (+ dense layers before the first MoE layer) time of a token on this chip.
  Tick AttentionPs(const SkuOptions& sku, const TokenState& t, uint64_t& flops) const;
  // Capacity decisions of one layer's plan at the token's home (DROP policy).
  void ApplyCapacity(AttentionChip& chip, TokenState& t, ModelData::DispatchPlan& plan);
  // All of a layer's jobs are back (or none was sent): combine on the core.
  void StartCombine(NodeId node, AttentionChip& chip, TokenState& t);
  // Occupies the attention core of a chip for `service` ps from now (FIFO); returns the end.
  Tick OccupyCore(AttentionChip& chip, TokenState& token, Tick service_ps);
  void BeginLayer(NodeId node, AttentionChip& chip, TokenState& token);

  const RunOptions& options_;         // borrowed
  Engine& engine_;                    // borrowed
  std::shared_ptr<spdlog::logger> log_;
  fabric::Network& net_;              // borrowed
  ModelData data_;
  RtlEngines rtl_;                    // this rank's Verilated engine factory
  std::vector<Node> nodes_;           // indexed by node id; only owned nodes are populated
  uint32_t num_attention_;            // attention chips (token t is homed on the (t mod it)-th)
  std::vector<TokenRecord> finished_; // tokens finished on this rank
  std::vector<uint64_t> expert_jobs_; // per (layer * E + expert): jobs run on chips of this rank
  Tick dispatch_network_ps_ = 0;      // sum over jobs: home -> expert chip in the fabric
  Tick return_network_ps_ = 0;        // sum over jobs: expert chip -> home in the fabric
  uint64_t jobs_dropped_ = 0;         // capacity overflow (DROP)
  LogHistogram message_latency_;      // messages delivered to this rank's chips (ps)
  uint64_t tokens_done_ = 0;
};

}  // namespace moefab
