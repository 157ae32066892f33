#include "runtime/cluster.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "chips/numerics/golden_expert.h"
#include "router/combine.h"
#include "router/gate.h"
#include "runtime/core/error.h"
#include "runtime/core/rng.h"

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

uint64_t TagOf(const Event& e) {
  MOEFAB_CHECK(e.layer < (1u << kTagLayerBits) && e.expert < (1u << kTagExpertBits),
               "layer " << e.layer << " or expert " << e.expert << " too large for a message tag");
  return (static_cast<uint64_t>(e.packet) << 62) | (static_cast<uint64_t>(e.layer) << 50) |
         (static_cast<uint64_t>(e.expert) << 32) | e.token;
}

void FromTag(uint64_t tag, Event& e) {
  e.packet = static_cast<PacketType>(tag >> 62);
  e.layer = static_cast<uint32_t>((tag >> 50) & ((1u << kTagLayerBits) - 1));
  e.expert = static_cast<uint32_t>((tag >> 32) & ((1u << kTagExpertBits) - 1));
  e.token = static_cast<uint32_t>(tag);
}

}  // namespace

// The fabric's view of the engine while one event (or one Inject) is handled.
class Cluster::NetAdapter final : public fabric::NetContext {
 public:
  explicit NetAdapter(Engine& engine, LogHistogram* latency = nullptr)
      : engine_(engine), latency_(latency) {}
  Tick Now() const override { return engine_.now(); }
  void Schedule(fabric::NetEvent&& n) override {
    Event e;
    e.tick = n.tick;
    e.kind = EventKindOf(n.kind);
    e.node = n.node;
    e.origin = n.origin;
    e.net = std::move(n);
    engine_.Schedule(std::move(e));
  }
  void Deliver(fabric::DeliveredMessage m) override {
    // The chip sees the message as its own event at the same tick (the fabric's state is
    // not re-entered from inside Handle).
    Event e;
    e.tick = engine_.now();
    e.kind = EventKind::kDeliver;
    e.node = e.origin = m.dst;
    e.src = m.src;
    e.dst = m.dst;
    e.injected = m.injected_ps;
    e.bytes = m.bytes;
    FromTag(m.tag, e);
    if (m.data) e.payload = *m.data;
    if (latency_) latency_->Add(m.delivered_ps - m.injected_ps);
    engine_.Schedule(std::move(e));
  }

 private:
  Engine& engine_;
  LogHistogram* latency_;  // message latencies of this rank (deliveries happen in Handle)
};

Cluster::Cluster(const RunOptions& options, Engine& engine, fabric::Network& net,
                 std::shared_ptr<spdlog::logger> log)
    : options_(options),
      engine_(engine),
      log_(std::move(log)),
      net_(net),
      data_(options),
      rtl_(options.build_cache, log_),
      nodes_(options.num_nodes()),
      num_attention_(static_cast<uint32_t>(AttentionNodes(options).size())),
      expert_jobs_(static_cast<size_t>(options.model.num_layers) * options.model.experts_per_layer(), 0) {
  const auto attention = AttentionNodes(options);
  for (NodeId n = 0; n < options.num_nodes(); ++n) {
    if (!engine_.Owns(n)) continue;
    Node& node = nodes_[n];
    const SkuOptions& sku = options.SkuOf(n);
    if (sku.kind == ChipKind::kAttention) {
      node.attention = std::make_unique<AttentionChip>();
      node.attention->chooser = std::make_unique<router::ReplicaChooser>(
          options.replica_policy, n, [this](NodeId a, NodeId b) { return net_.Hops(a, b); });
      const auto idx = static_cast<uint32_t>(
          std::find(attention.begin(), attention.end(), n) - attention.begin());
      for (uint32_t t = idx; t < options.workload.num_tokens;
           t += static_cast<uint32_t>(attention.size()))
        node.attention->pending.push_back(t);
      continue;
    }
    std::vector<ExpertChipModel::SlotSpec> slots;
    for (const auto& [layer, expert] : options.placement.SlotsOn(n))
      slots.push_back({layer, expert, options.timing_only ? nullptr : data_.Expert(layer, expert)});
    const chips::EngineConfig config = EngineConfigOf(options.model, sku);
    // The pipeline model is a measurement of the RTL (cached per configuration), never typed in;
    // timing-only runs of design points not linked in take the closed form, which the chip
    // tests prove equal to the RTL's measurement on every linked-in design point.
    const chips::PipelineModel pipeline = options.timing_only && !IsPrebuilt(config)
                                              ? chips::ClosedFormPipeline(config)
                                              : rtl_.Pipeline(config);
    log_->debug("node {}: expert chip {} with {} slots, {}: latency {} cycles, II {} cycles", n,
                sku.name, slots.size(), config.ToString(), pipeline.latency.value,
                pipeline.initiation_interval.value);
    node.expert = std::make_unique<ExpertChipModel>(n, sku, options, std::move(slots), config,
                                                    pipeline, rtl_);
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
      Event e;
      e.tick = static_cast<Tick>(std::llround(t_ps));
      e.kind = EventKind::kTokenStart;
      e.origin = e.node = n;
      e.token = t;
      engine_.Schedule(std::move(e));
    }
    return;
  }
  for (uint32_t i = 0; i < a; ++i) {
    const NodeId n = attention[i];
    if (!engine_.Owns(n)) continue;
    // The closed-loop concurrency is split over the attention chips, at least one each.
    const uint32_t c = options_.workload.concurrency / a + (i < options_.workload.concurrency % a);
    AttentionChip& chip = *nodes_[n].attention;
    for (uint32_t k = 0; k < std::max(1u, c) && chip.next_pending < chip.pending.size(); ++k) {
      Event e;
      e.tick = 0;
      e.kind = EventKind::kTokenStart;
      e.origin = e.node = n;
      e.token = chip.pending[chip.next_pending++];
      engine_.Schedule(std::move(e));
    }
  }
}

void Cluster::Handle(Event& e, Engine& engine) {
  MOEFAB_CHECK(&engine == &engine_, "cluster driven by a foreign engine");
  if (IsNetEvent(e.kind)) {
    OnNetEvent(e);
    return;
  }
  switch (e.kind) {
    case EventKind::kDeliver: OnDeliver(e); break;
    case EventKind::kSlotDone: nodes_[e.node].expert->OnSlotDone(e, *this); break;
    case EventKind::kEgressDone: nodes_[e.node].expert->OnEgressDone(e, *this); break;
    case EventKind::kSlotReady: nodes_[e.node].expert->OnSlotReady(e, *this); break;
    case EventKind::kAttentionDone: OnAttentionDone(e); break;
    case EventKind::kCombineDone: OnCombineDone(e); break;
    case EventKind::kTokenStart: OnTokenStart(e); break;
    default: MOEFAB_CHECK(false, "unknown event kind " << static_cast<int>(e.kind));
  }
}

void Cluster::Send(Event packet) {
  fabric::MessageSpec spec;
  spec.src = packet.src;
  spec.dst = packet.dst;
  spec.tag = TagOf(packet);
  spec.bytes = packet.payload.empty() ? packet.bytes : packet.payload.size();
  if (!packet.payload.empty())
    spec.data = std::make_shared<const fabric::Payload>(std::move(packet.payload));
  NetAdapter ctx(engine_);
  net_.Inject(spec, ctx);  // the message enters the router of its source node now
}

void Cluster::OnNetEvent(Event& e) {
  NetAdapter ctx(engine_, &message_latency_);
  try {
    net_.Handle(e.net, ctx);
  } catch (const fabric::StallError& stall) {
    // A fabric that stops moving is a run error (e.g. too few buffers for the routing), not a
    // bug: say where and stop every rank.
    RunFailed(std::string("fabric stall: ") + stall.what());
  }
}

void Cluster::OnDeliver(Event& e) {
  Node& node = nodes_[e.node];
  if (e.packet == PacketType::kExpertJob) {
    MOEFAB_CHECK(node.expert, "expert job delivered to non-expert node " << e.node);
    dispatch_network_ps_ += engine_.now() - e.injected;
    ++expert_jobs_[static_cast<size_t>(e.layer) * options_.model.experts_per_layer() + e.expert];
    node.expert->OnDeliver(e, *this);
    return;
  }
  MOEFAB_CHECK(e.packet == PacketType::kExpertResult && node.attention,
               "unexpected packet delivered to node " << e.node);
  return_network_ps_ += engine_.now() - e.injected;
  AttentionChip& chip = *node.attention;
  auto it = chip.tokens.find(e.token);
  MOEFAB_CHECK(it != chip.tokens.end(), "result for unknown token " << e.token);
  TokenState& t = it->second;
  MOEFAB_CHECK(e.layer == t.layer, "result of layer " << e.layer << " for token " << t.id
                                                      << " at layer " << t.layer);
  const auto pos = std::find(t.selection.experts.begin(), t.selection.experts.end(), e.expert);
  MOEFAB_CHECK(pos != t.selection.experts.end(), "result from an expert not selected");
  chip.chooser->Completed(e.src);
  if (!options_.timing_only) {
    auto& slot = t.outputs[static_cast<size_t>(pos - t.selection.experts.begin())];
    MOEFAB_CHECK(slot.empty(), "duplicate result from expert " << e.expert);
    slot = UnpackResult(e.payload);
    MOEFAB_CHECK(slot.size() == options_.model.d_model, "result of " << slot.size() << " elements");
  }
  if (++t.received < t.selection.experts.size()) return;
  StartCombine(e.node, chip, t);
}

void Cluster::StartCombine(NodeId node, AttentionChip& chip, TokenState& t) {
  t.breakdown.expert_phase_ps += engine_.now() - t.phase_start_ps;
  const Tick end = OccupyCore(chip, t, options_.SkuOf(node).combine_ps);
  t.breakdown.combine_ps += options_.SkuOf(node).combine_ps;
  Event done;
  done.tick = end;
  done.kind = EventKind::kCombineDone;
  done.origin = done.node = node;
  done.token = t.id;
  done.layer = t.layer;
  engine_.Schedule(std::move(done));
}

Tick Cluster::OccupyCore(AttentionChip& chip, TokenState& token, Tick service_ps) {
  const Tick begin = std::max(engine_.now(), chip.core_free_ps);
  token.breakdown.core_queue_ps += begin - engine_.now();
  chip.core_free_ps = begin + service_ps;
  chip.busy_ps += service_ps;
  return chip.core_free_ps;
}

void Cluster::BeginLayer(NodeId node, AttentionChip& chip, TokenState& t) {
  const SkuOptions& sku = options_.SkuOf(node);
  const Tick attention = AttentionPs(sku, t, chip.flops);
  const Tick end = OccupyCore(chip, t, attention + sku.gate_ps);
  t.breakdown.attention_ps += attention;
  t.breakdown.gate_ps += sku.gate_ps;
  Event done;
  done.tick = end;
  done.kind = EventKind::kAttentionDone;
  done.origin = done.node = node;
  done.token = t.id;
  done.layer = t.layer;
  engine_.Schedule(std::move(done));
}

void Cluster::OnTokenStart(Event& e) {
  AttentionChip& chip = *nodes_[e.node].attention;
  TokenState t;
  t.id = e.token;
  t.index_at_home = e.token / num_attention_;
  t.start_ps = engine_.now();
  const auto& w = options_.workload;
  t.context = w.context_length;
  if (w.context_length_spread > 0) {
    SplitMix64 rng(MixSeed(w.input_seed, 0xC0u, e.token));
    t.context = w.context_length - w.context_length_spread +
                static_cast<uint32_t>(rng.Next() % (2 * uint64_t{w.context_length_spread} + 1));
  }
  if (!options_.timing_only) t.h = data_.InputHidden(e.token);
  auto [it, inserted] = chip.tokens.emplace(e.token, std::move(t));
  MOEFAB_CHECK(inserted, "token " << e.token << " started twice");
  BeginLayer(e.node, chip, it->second);
}

void Cluster::OnAttentionDone(Event& e) {
  AttentionChip& chip = *nodes_[e.node].attention;
  TokenState& t = chip.tokens.at(e.token);
  // Dispatch: int8 activations with a per-token power-of-two scale, the router rule (or the
  // routing table), shared experts (see ModelData::Plan), then the capacity limit.
  auto plan = data_.Plan(t.id, t.layer, t.h);
  if (!options_.routing.write_trace.empty()) {
    const auto& sel = plan.routed;  // before Llama 4's weight-on-input and shared experts
    const uint32_t k = options_.model.top_k;
    for (uint32_t i = 0; i < k; ++i) t.routed.push_back(sel.experts[i]);
    for (uint32_t i = 0; i < k; ++i) t.routed.push_back(sel.weights_q15[i]);
  }
  ApplyCapacity(chip, t, plan);
  t.selection = std::move(plan.combine);
  t.outputs.assign(t.selection.experts.size(), {});
  t.received = 0;
  t.phase_start_ps = engine_.now();
  if (plan.jobs.empty()) {  // every routed job dropped and no shared expert
    StartCombine(e.node, chip, t);
    return;
  }
  const uint32_t experts = options_.model.experts_per_layer();
  for (auto& j : plan.jobs) {
    Event job;
    job.packet = PacketType::kExpertJob;
    job.src = e.node;
    job.dst = chip.chooser->Choose(t.layer * experts + j.expert,
                                   options_.placement.Replicas(t.layer, j.expert));
    job.token = t.id;
    job.layer = t.layer;
    job.expert = j.expert;
    job.bytes = uint64_t{options_.model.d_model} + 1;  // x and its exponent
    if (!options_.timing_only) job.payload = PackJob(j.x, j.exponent);  // the bytes the engine sees
    Send(std::move(job));
  }
}

void Cluster::ApplyCapacity(AttentionChip& chip, TokenState& t, ModelData::DispatchPlan& plan) {
  const auto& w = options_.workload;
  if (w.capacity_factor <= 0) return;
  const auto& m = options_.model;
  // Per home chip, per window of W of its tokens, per layer: at most ceil(f * W * k / E) jobs
  // for each routed expert (GShard-style capacity, counted where the tokens are).
  const auto cap = static_cast<uint32_t>(std::ceil(w.capacity_factor * w.capacity_window_tokens * m.top_k /
                                                   static_cast<double>(m.num_experts)));
  auto& used = chip.capacity_used[{t.index_at_home / w.capacity_window_tokens, t.layer}];
  if (used.empty()) used.assign(m.num_experts, 0);
  std::vector<uint32_t> dropped;
  for (const auto& j : plan.jobs) {
    if (j.expert >= m.num_experts) continue;  // shared experts have no capacity limit
    if (used[j.expert] >= cap) {
      dropped.push_back(j.expert);
      t.dropped.push_back(t.layer * m.num_experts + j.expert);
    } else {
      ++used[j.expert];
    }
  }
  jobs_dropped_ += dropped.size();
  ModelData::Drop(plan, dropped, m.num_experts);
}

Tick Cluster::AttentionPs(const SkuOptions& sku, const TokenState& t, uint64_t& flops) const {
  const auto& m = options_.model;
  // Decode of one token at one layer: Q, K, V, O projections, then Q.K and A.V over the
  // context; the KV cache is read once from memory. Dense-FFN layers (before the first MoE
  // layer) run here too: 3 matrices of d_model x width.
  const uint64_t q = uint64_t{m.num_heads} * m.head_dim, kv = uint64_t{m.num_kv_heads} * m.head_dim;
  const uint64_t proj = 2 * (uint64_t{m.d_model} * q * 2 + uint64_t{m.d_model} * kv * 2);
  const uint64_t attn_flops = proj + 4 * uint64_t{t.context} * q;
  const uint64_t attn_bytes = uint64_t{t.context} * m.kv_bytes_per_token_layer;
  uint64_t total_flops = attn_flops;
  uint64_t dense_flops = 0;
  if (t.layer == 0 && m.num_dense_layers > 0) {
    dense_flops = uint64_t{m.num_dense_layers} * (attn_flops + 2 * 3 * uint64_t{m.d_model} * m.dense_ffn_width);
    total_flops += dense_flops;
  }
  flops += total_flops;
  if (sku.compute_tflops <= 0 && sku.memory_gbytes_per_s <= 0)
    return sku.attention_ps * (t.layer == 0 ? 1 + m.num_dense_layers : 1);
  const double compute_s = sku.compute_tflops > 0 ? static_cast<double>(total_flops) / (sku.compute_tflops * 1e12) : 0;
  const uint64_t bytes = attn_bytes * (t.layer == 0 ? 1 + m.num_dense_layers : 1);
  const double memory_s = sku.memory_gbytes_per_s > 0 ? static_cast<double>(bytes) / (sku.memory_gbytes_per_s * 1e9) : 0;
  return static_cast<Tick>(std::llround(std::max(compute_s, memory_s) * 1e12));
}

void Cluster::OnCombineDone(Event& e) {
  AttentionChip& chip = *nodes_[e.node].attention;
  auto it = chip.tokens.find(e.token);
  TokenState& t = it->second;
  if (!options_.timing_only) {
    std::vector<std::span<const int16_t>> views(t.outputs.begin(), t.outputs.end());
    router::CombineResidual(t.h, t.selection, views);
  }
  if (++t.layer < options_.model.num_layers) {
    BeginLayer(e.node, chip, t);
    return;
  }
  finished_.push_back(TokenRecord{t.id, e.node, t.start_ps, engine_.now(), t.breakdown,
                                  std::move(t.h), std::move(t.dropped), std::move(t.routed)});
  chip.tokens.erase(it);
  ++tokens_done_;
  if (options_.workload.arrival == Arrival::kClosedLoop && chip.next_pending < chip.pending.size()) {
    Event start;
    start.tick = engine_.now();
    start.kind = EventKind::kTokenStart;
    start.origin = start.node = e.node;
    start.token = chip.pending[chip.next_pending++];
    engine_.Schedule(std::move(start));
  }
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
    r.reconfigs.push_back(ReconfigRecord{c.begin_ps, c.drained_ps, c.installed_ps, c.affected_links,
                                         c.delayed_packets, c.delayed_bytes, c.delayed_ps});
  }
  r.tokens = finished_;
  r.expert_jobs = expert_jobs_;
  r.job_totals.dispatch_network_ps = dispatch_network_ps_;
  r.job_totals.return_network_ps = return_network_ps_;
  r.jobs_dropped = jobs_dropped_;
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
    f.packet_latency_sum_ps += static_cast<uint64_t>(ns.packet_latency.Mean() * static_cast<double>(ns.packet_latency.count()) + 0.5);
    f.packet_latency_max_ps = std::max(f.packet_latency_max_ps, ns.packet_latency.Max());
    f.message_latency_sum_ps += static_cast<uint64_t>(ns.message_latency.Mean() * static_cast<double>(ns.message_latency.count()) + 0.5);
    f.message_latency_max_ps = std::max(f.message_latency_max_ps, ns.message_latency.Max());
    ChipRecord c;
    c.node = n;
    c.sku = options_.node_sku[n];
    if (node.attention) {
      c.busy_ps = node.attention->busy_ps;
      r.attention_flops += node.attention->flops;
      MOEFAB_CHECK(node.attention->tokens.empty(), "tokens left in flight at node " << n);
    } else {
      const ExpertChipStats& s = node.expert->stats();
      MOEFAB_CHECK(node.expert->idle(), "jobs left at node " << n);
      c.busy_ps = s.busy_ps;
      c.jobs = s.jobs;
      c.slots = node.expert->num_slots();
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
      r.rtl_cycles_simulated += node.expert->rtl_cycles_simulated();
      r.job_spans.insert(r.job_spans.end(), s.spans.begin(), s.spans.end());
    }
    r.chips.push_back(c);
  }
  return r;
}

}  // namespace moefab
