#include "runtime/cluster.h"

#include <algorithm>

#include "router/combine.h"
#include "router/gate.h"
#include "runtime/core/error.h"

namespace moefab {

std::vector<NodeId> Cluster::AttentionNodes(const RunOptions& options) {
  std::vector<NodeId> out;
  for (NodeId n = 0; n < options.num_nodes(); ++n)
    if (options.SkuOf(n).kind == ChipKind::kAttention) out.push_back(n);
  return out;
}

Cluster::Cluster(const RunOptions& options, Engine& engine, std::shared_ptr<spdlog::logger> log)
    : options_(options),
      engine_(engine),
      log_(std::move(log)),
      torus_(fabric::Torus::Make(options.torus_dims)),
      data_(options.model, options.workload.input_seed),
      nodes_(options.num_nodes()),
      expert_jobs_(static_cast<size_t>(options.model.num_layers) * options.model.num_experts, 0) {
  const auto attention = AttentionNodes(options);
  for (NodeId n = 0; n < options.num_nodes(); ++n) {
    if (!engine_.Owns(n)) continue;
    Node& node = nodes_[n];
    node.links.resize(torus_.num_ports());
    const SkuOptions& sku = options.SkuOf(n);
    if (sku.kind == ChipKind::kAttention) {
      node.attention = std::make_unique<AttentionChip>();
      const auto idx = static_cast<uint32_t>(
          std::find(attention.begin(), attention.end(), n) - attention.begin());
      for (uint32_t t = idx; t < options.workload.num_tokens;
           t += static_cast<uint32_t>(attention.size()))
        node.attention->pending.push_back(t);
    } else {
      node.expert = std::make_unique<ExpertChip>();
      node.expert->clock = sku.clock;
      for (const auto& [layer, expert] : options.placement.SlotsOn(n)) {
        auto weights = data_.Expert(layer, expert);
        node.expert->slots[{layer, expert}] =
            options.fidelity == Fidelity::kRtl
                ? chips::MakeRtlExpertEngine(std::move(weights), sku.mac_lanes)
                : chips::MakeGoldenExpertEngine(std::move(weights), sku.mac_lanes);
      }
      log_->debug("node {}: expert chip {} with {} slots", n, sku.name, node.expert->slots.size());
    }
  }
}

Cluster::~Cluster() = default;

void Cluster::ScheduleInitialTokens() {
  const auto attention = AttentionNodes(options_);
  const auto a = static_cast<uint32_t>(attention.size());
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
  switch (e.kind) {
    case EventKind::kPacketAtRouter: OnPacketAtRouter(e); break;
    case EventKind::kDeliver: OnDeliver(e); break;
    case EventKind::kJobDone: OnJobDone(e); break;
    case EventKind::kAttentionDone: OnAttentionDone(e); break;
    case EventKind::kCombineDone: OnCombineDone(e); break;
    case EventKind::kTokenStart: OnTokenStart(e); break;
  }
}

void Cluster::Send(Event packet) {
  packet.kind = EventKind::kPacketAtRouter;
  packet.tick = engine_.now();
  packet.node = packet.origin = packet.src;
  packet.injected = engine_.now();
  OnPacketAtRouter(packet);  // the packet enters the router of its source node now
}

void Cluster::OnPacketAtRouter(Event& e) {
  const NodeId here = e.node;
  const Tick ready = engine_.now() + options_.link.router_delay_ps;
  Event next = std::move(e);
  next.origin = here;
  if (next.dst == here) {
    next.kind = EventKind::kDeliver;
    next.tick = ready;
  } else {
    const fabric::PortId port = torus_.RouteDor(here, next.dst);
    const uint64_t bytes = next.payload.size() + options_.header_bytes;
    const auto hop = fabric::SendOnLink(nodes_[here].links[port], ready, bytes, options_.link);
    next.kind = EventKind::kPacketAtRouter;
    next.tick = hop.arrive_ps;
    next.node = torus_.Neighbor(here, port);
  }
  engine_.Schedule(std::move(next));
}

void Cluster::OnDeliver(Event& e) {
  Node& node = nodes_[e.node];
  if (e.packet == PacketType::kExpertJob) {
    MOEFAB_CHECK(node.expert, "expert job delivered to non-expert node " << e.node);
    job_totals_.dispatch_network_ps += engine_.now() - e.injected;
    node.expert->ingress.push_back(
        ExpertJob{e.token, e.layer, e.expert, e.src, engine_.now(), std::move(e.payload)});
    if (!node.expert->busy) StartNextJob(e.node, *node.expert);
    return;
  }
  MOEFAB_CHECK(e.packet == PacketType::kExpertResult && node.attention,
               "unexpected packet delivered to node " << e.node);
  job_totals_.return_network_ps += engine_.now() - e.injected;
  AttentionChip& chip = *node.attention;
  auto it = chip.tokens.find(e.token);
  MOEFAB_CHECK(it != chip.tokens.end(), "result for unknown token " << e.token);
  TokenState& t = it->second;
  MOEFAB_CHECK(e.layer == t.layer, "result of layer " << e.layer << " for token " << t.id
                                                      << " at layer " << t.layer);
  const auto pos = std::find(t.selection.experts.begin(), t.selection.experts.end(), e.expert);
  MOEFAB_CHECK(pos != t.selection.experts.end(), "result from an expert not selected");
  auto& slot = t.outputs[static_cast<size_t>(pos - t.selection.experts.begin())];
  MOEFAB_CHECK(slot.empty(), "duplicate result from expert " << e.expert);
  slot = std::move(e.payload);
  if (++t.received < t.selection.experts.size()) return;
  t.breakdown.expert_phase_ps += engine_.now() - t.phase_start_ps;
  const Tick end = OccupyCore(chip, t, options_.SkuOf(e.node).combine_ps);
  t.breakdown.combine_ps += options_.SkuOf(e.node).combine_ps;
  Event done;
  done.tick = end;
  done.kind = EventKind::kCombineDone;
  done.origin = done.node = e.node;
  done.token = t.id;
  done.layer = t.layer;
  engine_.Schedule(std::move(done));
}

void Cluster::StartNextJob(NodeId node, ExpertChip& chip) {
  if (chip.ingress.empty()) {
    chip.busy = false;
    return;
  }
  ExpertJob job = std::move(chip.ingress.front());
  chip.ingress.pop_front();
  auto it = chip.slots.find({job.layer, job.expert});
  MOEFAB_CHECK(it != chip.slots.end(), "node " << node << " holds no slot for layer " << job.layer
                                               << " expert " << job.expert);
  Event done;
  done.payload.resize(options_.model.d_model);
  const Cycles cycles = it->second->Run(job.x, done.payload);
  const Tick compute = chip.clock.ToTicks(cycles);
  chip.busy = true;
  chip.busy_ps += compute;
  job_totals_.queue_ps += engine_.now() - job.arrived_ps;
  job_totals_.compute_ps += compute;
  job_totals_.rtl_cycles += cycles.value;
  done.tick = engine_.now() + compute;
  done.kind = EventKind::kJobDone;
  done.origin = done.node = node;
  done.token = job.token;
  done.layer = job.layer;
  done.expert = job.expert;
  done.dst = job.home;
  engine_.Schedule(std::move(done));
}

void Cluster::OnJobDone(Event& e) {
  ExpertChip& chip = *nodes_[e.node].expert;
  ++chip.jobs;
  ++job_totals_.jobs;
  ++expert_jobs_[static_cast<size_t>(e.layer) * options_.model.num_experts + e.expert];
  Event result;
  result.packet = PacketType::kExpertResult;
  result.src = e.node;
  result.dst = e.dst;
  result.token = e.token;
  result.layer = e.layer;
  result.expert = e.expert;
  result.payload = std::move(e.payload);
  Send(std::move(result));
  StartNextJob(e.node, chip);
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
  const Tick end = OccupyCore(chip, t, sku.attention_ps + sku.gate_ps);
  t.breakdown.attention_ps += sku.attention_ps;
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
  t.start_ps = engine_.now();
  t.h = data_.InputHidden(e.token);
  auto [it, inserted] = chip.tokens.emplace(e.token, std::move(t));
  MOEFAB_CHECK(inserted, "token " << e.token << " started twice");
  BeginLayer(e.node, chip, it->second);
}

void Cluster::OnAttentionDone(Event& e) {
  AttentionChip& chip = *nodes_[e.node].attention;
  TokenState& t = chip.tokens.at(e.token);
  const auto logits = router::GateLogits(data_.Gate(t.layer), t.h);
  t.selection =
      router::SoftmaxTopKRenormalised(logits, options_.model.top_k, options_.model.gate_logit_scale);
  t.outputs.assign(t.selection.experts.size(), {});
  t.received = 0;
  t.phase_start_ps = engine_.now();
  const auto hops = [this](NodeId a, NodeId b) { return torus_.HopCount(a, b); };
  for (uint32_t expert : t.selection.experts) {
    Event job;
    job.packet = PacketType::kExpertJob;
    job.src = e.node;
    job.dst = router::ChooseNearestReplica(options_.placement.Replicas(t.layer, expert), e.node, hops);
    job.token = t.id;
    job.layer = t.layer;
    job.expert = expert;
    job.payload = t.h;  // the bytes the expert engine will see
    Send(std::move(job));
  }
}

void Cluster::OnCombineDone(Event& e) {
  AttentionChip& chip = *nodes_[e.node].attention;
  auto it = chip.tokens.find(e.token);
  TokenState& t = it->second;
  std::vector<std::span<const int8_t>> views(t.outputs.begin(), t.outputs.end());
  router::CombineResidual(t.h, t.selection, views);
  if (++t.layer < options_.model.num_layers) {
    BeginLayer(e.node, chip, t);
    return;
  }
  finished_.push_back(TokenRecord{t.id, e.node, t.start_ps, engine_.now(), t.breakdown, std::move(t.h)});
  chip.tokens.erase(it);
  ++tokens_done_;
  if (chip.next_pending < chip.pending.size()) {
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
  r.tokens = finished_;
  r.expert_jobs = expert_jobs_;
  r.job_totals = job_totals_;
  for (NodeId n = 0; n < nodes_.size(); ++n) {
    if (!engine_.Owns(n)) continue;
    const Node& node = nodes_[n];
    for (fabric::PortId p = 0; p < torus_.num_ports(); ++p) {
      if (!torus_.HasLink(n, p)) continue;
      const auto& l = node.links[p];
      r.links.push_back(LinkRecord{torus_.LinkIndex(n, p), n, torus_.Neighbor(n, p), p, l.bytes,
                                   l.packets, l.busy_ps, l.max_queue_delay_ps});
    }
    ChipRecord c;
    c.node = n;
    c.sku = options_.node_sku[n];
    if (node.attention) {
      c.busy_ps = node.attention->busy_ps;
      MOEFAB_CHECK(node.attention->tokens.empty(), "tokens left in flight at node " << n);
    } else {
      c.busy_ps = node.expert->busy_ps;
      c.jobs = node.expert->jobs;
      c.slots = static_cast<uint32_t>(node.expert->slots.size());
      for (const auto& [key, eng] : node.expert->slots) r.rtl_cycles_simulated += eng->rtl_cycles_simulated();
      MOEFAB_CHECK(node.expert->ingress.empty() && !node.expert->busy, "jobs left at node " << n);
    }
    r.chips.push_back(c);
  }
  return r;
}

}  // namespace moefab
