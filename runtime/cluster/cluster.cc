#include "runtime/cluster/cluster.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/state_archive.h"
#include "core/rng.h"

namespace moefab {

std::vector<NodeId> Cluster::AttentionNodes(const RunOptions& options) {
  std::vector<NodeId> out;
  for (NodeId n = 0; n < options.num_nodes(); ++n)
    if (options.SkuOf(n).kind == ChipKind::kAttention) out.push_back(n);
  return out;
}

namespace {

// Message tags: what the chips need back on delivery, self-contained so that they cross ranks.
// type 2 bits | layer 12 bits | expert 18 bits | token 32 bits.
constexpr uint32_t kTagLayerBits = 12, kTagExpertBits = 18;

uint64_t TagOf(const OutgoingMessage& m) {
  MOEFAB_CHECK(m.layer < (1u << kTagLayerBits) && m.expert < (1u << kTagExpertBits),
               "layer " << m.layer << " or expert " << m.expert << " too large for a message tag");
  return (static_cast<uint64_t>(m.packet) << 62) | (static_cast<uint64_t>(m.layer) << 50) |
         (static_cast<uint64_t>(m.expert) << 32) | m.token;
}

void FromTag(uint64_t tag, Delivery& d) {
  d.packet = static_cast<PacketType>(tag >> 62);
  d.layer = static_cast<uint32_t>((tag >> 50) & ((1u << kTagLayerBits) - 1));
  d.expert = static_cast<uint32_t>((tag >> 32) & ((1u << kTagExpertBits) - 1));
  d.token = static_cast<uint32_t>(tag);
}

}  // namespace

// The fabric's view of the engine while one event (or one Inject) is handled.
class Cluster::NetAdapter final : public fabric::NetContext {
 public:
  explicit NetAdapter(ClusterEngine& engine, LogHistogram* latency = nullptr) : engine_(engine), latency_(latency) {}
  Tick Now() const override { return engine_.now(); }
  void Schedule(fabric::NetEvent&& n) override {
    const pdes::EventHead head{n.tick, static_cast<uint8_t>(n.kind), n.node, n.origin};
    engine_.Schedule(head, NetEventPayload{std::move(n)});
  }
  bool DefersCredits() const override { return true; }
  uint64_t ReserveSeq(NodeId origin) override { return engine_.ReserveSeq(origin); }
  void ScheduleReserved(fabric::NetEvent&& n) override {
    const pdes::EventHead head{n.tick, static_cast<uint8_t>(n.kind), n.node, n.origin};
    const uint64_t seq = n.seq;
    engine_.ScheduleReserved(head, seq, NetEventPayload{std::move(n)});
  }
  void Deliver(fabric::DeliveredMessage m) override {
    // The chip sees the message as its own event at the fabric's delivery tick (its state is
    // not re-entered from inside Handle). The bytes are handed over, not copied.
    Delivery d;
    FromTag(m.tag, d);
    d.src = m.src;
    d.injected_ps = m.injected_ps;
    d.bytes = m.bytes;
    d.data = std::move(m.data);
    if (latency_) latency_->Add(m.delivered_ps - m.injected_ps);
    // At the tick the fabric delivers it (after its ejection channel, if it has one).
    engine_.Schedule(pdes::EventHead{m.delivered_ps, static_cast<uint8_t>(EventKind::kDeliver), m.dst, m.dst},
                     std::move(d));
  }

 private:
  ClusterEngine& engine_;
  LogHistogram* latency_;  // message latencies of this rank (deliveries happen in Handle)
};

Cluster::Cluster(const RunOptions& options, const ClusterPlan& plan, ClusterEngine& engine,
                 std::shared_ptr<spdlog::logger> log, bool fault_sampled_rtl)
    : options_(options),
      plan_(plan),
      engine_(engine),
      log_(std::move(log)),
      net_(*plan.network),
      data_(options, plan),
      rtl_(options.build_cache, log_),
      nodes_(options.num_nodes()),
      expert_jobs_(static_cast<size_t>(options.model.num_layers) * options.model.experts_per_layer(), 0) {
  const auto attention = AttentionNodes(options);
  if (!options.timing_only) {  // the weights of every slot of this rank, built side by side
    std::vector<std::pair<uint32_t, uint32_t>> hosted;
    for (NodeId n = 0; n < options.num_nodes(); ++n)
      if (engine_.Owns(n) && options.SkuOf(n).kind != ChipKind::kAttention)
        for (const auto& le : plan.placement.SlotsOn(n)) hosted.push_back(le);
    data_.Prefetch(hosted, ModelData::SetupThreads());
  }
  for (NodeId n = 0; n < options.num_nodes(); ++n) {
    if (!engine_.Owns(n)) continue;
    Node& node = nodes_[n];
    const SkuOptions& sku = options.SkuOf(n);
    if (sku.kind == ChipKind::kAttention) {
      const auto idx = static_cast<uint32_t>(std::find(attention.begin(), attention.end(), n) - attention.begin());
      node.attention =
          std::make_unique<AttentionChip>(n, idx, static_cast<uint32_t>(attention.size()), options, plan.placement,
                                          data_, [this](NodeId a, NodeId b) { return net_.Hops(a, b); });
      continue;
    }
    if (sku.memory_weights) {
      node.memory_expert = std::make_unique<MemoryExpertChip>(n, sku, options, plan.placement.SlotsOn(n));
      continue;
    }
    std::vector<ExpertChipModel::SlotSpec> slots;
    for (const auto& [layer, expert] : plan.placement.SlotsOn(n))
      slots.push_back({layer, expert, options.timing_only ? nullptr : data_.Expert(layer, expert)});
    const chips::EngineConfig config = EngineConfigOf(options.model, sku);
    // The pipeline model is a measurement of the RTL (cached per configuration), never typed in;
    // timing-only runs of design points not linked in take the closed form, which the chip
    // tests prove equal to the RTL's measurement on every linked-in design point.
    const chips::PipelineModel pipeline =
        options.timing_only && !IsPrebuilt(config) ? chips::ClosedFormPipeline(config) : rtl_.Pipeline(config);
    log_->debug("node {}: expert chip {} with {} slots, {}: latency {} cycles, II {} cycles", n, sku.name, slots.size(),
                config.ToString(), pipeline.latency.value, pipeline.initiation_interval.value);
    node.expert =
        std::make_unique<ExpertChipModel>(n, sku, options, std::move(slots), config, pipeline, rtl_, fault_sampled_rtl);
    if (options.fidelity == Fidelity::kRtl && !options.timing_only) rtl_chips_.push_back(node.expert.get());
  }
}

Cluster::~Cluster() = default;

void Cluster::ScheduleFabricEvents() {
  NetAdapter ctx(engine_);
  for (NodeId n = 0; n < options_.num_nodes(); ++n) {
    if (!engine_.Owns(n)) continue;
    for (auto& e : net_.InitialEvents(n)) ctx.Schedule(std::move(e));
  }
}

void Cluster::ScheduleInitialTokens() {
  const auto attention = AttentionNodes(options_);
  const auto a = static_cast<uint32_t>(attention.size());
  if (options_.workload.arrival == Arrival::kPoisson) {
    // Open loop: one Poisson process for the whole cluster (the same draws on every rank);
    // token t arrives at its home attention chip t mod A.
    SplitMix64 rng(MixSeed(options_.workload.input_seed, 0xA881u));
    const double mean_ps = 1e12 / options_.workload.rate_tokens_per_s;
    double t_ps = 0;
    for (uint32_t t = 0; t < options_.workload.num_tokens; ++t) {
      t_ps += -std::log(1.0 - rng.UniformDouble()) * mean_ps;
      const NodeId n = attention[t % a];
      if (!engine_.Owns(n)) continue;
      ChipEvent e;
      e.token = t;
      Schedule(n, EventKind::kTokenStart, static_cast<Tick>(std::llround(t_ps)), e);
    }
    return;
  }
  for (const NodeId n : attention)
    if (engine_.Owns(n)) nodes_[n].attention->StartClosedLoop(*this);
}

void Cluster::Schedule(NodeId node, EventKind kind, Tick tick, const ChipEvent& e) {
  engine_.Schedule(pdes::EventHead{tick, static_cast<uint8_t>(kind), node, node}, ChipEvent(e));
}

void Cluster::Handle(const pdes::EventHead& head, NetEventPayload& p) {
  NetAdapter ctx(engine_, &message_latency_);
  try {
    net_.Handle(p.e, ctx);
  } catch (const fabric::StallError& stall) {
    // A fabric that stops moving is a run error (e.g. too few buffers for the routing), not a
    // bug: say where and stop every rank.
    RunFailed(std::string("fabric stall: ") + stall.what());
  }
  (void)head;
}

void Cluster::Handle(const pdes::EventHead& head, ChipEvent& e) {
  Node& node = nodes_[head.node];
  switch (static_cast<EventKind>(head.cls)) {
    case EventKind::kSlotDone:
      node.expert->OnSlotDone(e, *this);
      break;
    case EventKind::kEgressDone:
      node.expert->OnEgressDone(e, *this);
      break;
    case EventKind::kSlotReady:
      node.expert->OnSlotReady(e, *this);
      break;
    case EventKind::kAttentionDone:
      node.attention->OnAttentionDone(e, *this);
      break;
    case EventKind::kCombineDone: {
      const uint64_t before = node.attention->tokens_done();
      node.attention->OnCombineDone(e, *this);
      tokens_done_ += node.attention->tokens_done() - before;
      break;
    }
    case EventKind::kTokenStart:
      node.attention->OnTokenStart(e, *this);
      break;
    case EventKind::kAttentionBatch:
      node.attention->OnAttentionBatch(*this);
      break;
    case EventKind::kMemoryBatch:
      node.memory_expert->OnBatchCheck(*this);
      break;
    case EventKind::kMemoryBatchDone:
      node.memory_expert->OnBatchDone(*this);
      break;
    default:
      MOEFAB_CHECK(false, "unknown chip event class " << int{head.cls});
  }
}

void Cluster::Handle(const pdes::EventHead& head, Delivery& d) {
  Node& node = nodes_[head.node];
  if (d.packet == PacketType::kExpertJob) {
    MOEFAB_CHECK(node.expert || node.memory_expert, "expert job delivered to non-expert node " << head.node);
    dispatch_network_ps_ += engine_.now() - d.injected_ps;
    ++expert_jobs_[static_cast<size_t>(d.layer) * options_.model.experts_per_layer() + d.expert];
    if (node.memory_expert)
      node.memory_expert->OnDeliver(d, *this);
    else
      node.expert->OnDeliver(d, *this);
    return;
  }
  MOEFAB_CHECK(d.packet == PacketType::kExpertResult && node.attention,
               "unexpected packet delivered to node " << head.node);
  return_network_ps_ += engine_.now() - d.injected_ps;
  node.attention->OnResult(d, *this);
}

void Cluster::Send(OutgoingMessage m) {
  fabric::MessageSpec spec;
  spec.src = m.src;
  spec.dst = m.dst;
  spec.tag = TagOf(m);
  spec.bytes = m.payload.empty() ? m.bytes : m.payload.size();
  if (!m.payload.empty()) spec.data = std::make_shared<const fabric::Payload>(std::move(m.payload));
  NetAdapter ctx(engine_);
  net_.Inject(spec, ctx);  // the message enters the router of its source node now
}

pdes::Horizon Cluster::CrossRankHorizon() {
  const fabric::Network::RankHorizon h = net_.CrossRankHorizon(engine_.all_done());
  return pdes::Horizon{h.credits_in, h.credits_out_after};
}

uint64_t Cluster::tokens_done() const {
  return tokens_done_;
}

bool Cluster::Background() {
  // About 10-50 us of Verilator per slice: the engine looks at the exchange in between.
  constexpr uint64_t kSliceCycles = 512;
  for (size_t k = 0; k < rtl_chips_.size(); ++k) {
    const size_t i = (next_rtl_chip_ + k) % rtl_chips_.size();
    if (!rtl_chips_[i]->RunAhead(engine_.window_end(), kSliceCycles)) continue;
    next_rtl_chip_ = (i + 1) % rtl_chips_.size();
    return true;
  }
  return false;
}

RankReport Cluster::Report() const {
  RankReport r;
  // Links: the sending side from the rank owning its source, the far-end buffer peak from the
  // rank owning its destination (MergeReports joins them).
  const uint32_t ports = net_.topology().num_ports();
  for (const auto& l : net_.LinkReport()) {
    const bool src = engine_.Owns(l.src), dst = l.dst != kNoNode && engine_.Owns(l.dst);
    if (!src && !dst) continue;
    LinkRecord rec;
    rec.index = l.src * ports + l.port;
    rec.from = l.src;
    rec.to = l.dst;
    rec.port = l.port;
    rec.optical = l.link_class == fabric::LinkClass::kOptical;
    if (src) {
      rec.bytes = l.bytes;
      rec.packets = l.packets;
      rec.busy_ps = l.busy_ps;
      rec.peak_waiting_packets = l.peak_waiting_packets;
    }
    if (dst) rec.peak_buffer_flits = l.peak_buffer_flits;
    r.links.push_back(rec);
  }
  for (const auto& c : net_.ReconfigReport()) {
    r.reconfigs.push_back(ReconfigRecord{c.begin_ps, c.drained_ps, c.installed_ps, c.affected_links, c.delayed_packets,
                                         c.delayed_bytes, c.delayed_ps});
  }
  for (const Node& node : nodes_) {
    if (!node.attention) continue;
    const auto& done = node.attention->finished();
    r.tokens.insert(r.tokens.end(), done.begin(), done.end());
    r.jobs_dropped += node.attention->jobs_dropped();
  }
  r.expert_jobs = expert_jobs_;
  r.job_totals.dispatch_network_ps = dispatch_network_ps_;
  r.job_totals.return_network_ps = return_network_ps_;
  r.message_latency_hist = message_latency_.counts;
  for (NodeId n = 0; n < nodes_.size(); ++n) {
    if (!engine_.Owns(n)) continue;
    const Node& node = nodes_[n];
    const fabric::NodeStats& ns = net_.Stats(n);
    FabricTotals& f = r.fabric;
    f.messages += ns.messages_delivered;
    f.packets += ns.packets_delivered;
    f.flits += ns.flits_delivered;
    f.packet_hops += ns.packet_hops;
    f.vc_overflows += ns.vc_overflows;
    // Latencies are whole picoseconds, so the sums are exact in a double below 2^53 ps.
    f.packet_latency_sum_ps +=
        static_cast<uint64_t>(ns.packet_latency.Mean() * static_cast<double>(ns.packet_latency.count()) + 0.5);
    f.packet_latency_max_ps = std::max(f.packet_latency_max_ps, ns.packet_latency.Max());
    f.message_latency_sum_ps +=
        static_cast<uint64_t>(ns.message_latency.Mean() * static_cast<double>(ns.message_latency.count()) + 0.5);
    f.message_latency_max_ps = std::max(f.message_latency_max_ps, ns.message_latency.Max());
    ChipRecord c;
    c.node = n;
    c.sku = options_.node_sku[n];
    if (node.attention) {
      c.busy_ps = node.attention->busy_ps();
      r.attention_flops += node.attention->flops();
      MOEFAB_CHECK(node.attention->idle(), "tokens left in flight at node " << n);
    } else {
      const bool memory = node.memory_expert != nullptr;
      const ExpertChipStats& s = memory ? node.memory_expert->stats() : node.expert->stats();
      MOEFAB_CHECK(memory ? node.memory_expert->idle() : node.expert->idle(), "jobs left at node " << n);
      c.busy_ps = s.busy_ps;
      c.jobs = s.jobs;
      c.slots = memory ? node.memory_expert->num_slots() : node.expert->num_slots();
      c.slot_active_ps = s.slot_active_ps;
      c.max_ingress = s.max_ingress;
      JobTotals t;
      t.jobs = s.jobs;
      t.blocked_ps = s.blocked_ps;
      t.ingress_wait_ps = s.ingress_wait_ps;
      t.compute_ps = s.compute_ps;
      t.egress_wait_ps = s.egress_wait_ps;
      t.chip_cycles = s.rtl_cycles;
      t.sampled_checks = s.sampled_checks;
      t.sampled_mismatches = s.sampled_mismatches;
      r.job_totals += t;
      if (!memory) r.rtl_cycles_simulated += node.expert->rtl_cycles_simulated();
      r.job_spans.insert(r.job_spans.end(), s.spans.begin(), s.spans.end());
    }
    r.chips.push_back(c);
  }
  return r;
}

template <class Ar>
void Cluster::ArchiveState(Ar& ar) {
  std::vector<NodeId> owned;
  for (NodeId n = 0; n < nodes_.size(); ++n)
    if (engine_.Owns(n)) owned.push_back(n);
  if constexpr (Ar::kLoading) {
    net_.LoadState(ar, owned);
  } else {
    net_.SaveState(ar, owned);
  }
  for (const NodeId n : owned) {
    Node& node = nodes_[n];
    if (node.attention) node.attention->Archive(ar);
    if (node.memory_expert) node.memory_expert->Archive(ar);
    if (node.expert) {
      if constexpr (Ar::kLoading) {
        node.expert->LoadState(ar);
      } else {
        node.expert->SaveState(ar);
      }
    }
  }
  ar(expert_jobs_, dispatch_network_ps_, return_network_ps_, message_latency_, tokens_done_);
}

void Cluster::SaveState(StateWriter& w) { ArchiveState(w); }

void Cluster::LoadState(StateReader& r) { ArchiveState(r); }

}  // namespace moefab
