#include "runtime/results/results.h"

#include <cmath>

#include "core/log_histogram.h"
#include "core/temp_file.h"
#include "runtime/results/energy.h"
#include "runtime/results/routing_skew.h"
#include "runtime/results/utilisation.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "runtime/results/json_writer.h"

namespace moefab {

namespace {
double Ns(Tick ps) {
  return static_cast<double>(ps) / 1000.0;
}

// Nearest-rank percentile of a sorted, non-empty vector.
Tick Percentile(const std::vector<Tick>& sorted, double p) {
  const auto n = sorted.size();
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}
}  // namespace

LatencySummary Summarise(const RankReport& merged) {
  LatencySummary s;
  if (merged.tokens.empty()) return s;
  std::vector<Tick> lat;
  Tick first = kTickMax, last = 0, sum = 0;
  for (const auto& t : merged.tokens) {
    lat.push_back(t.end_ps - t.start_ps);
    sum += t.end_ps - t.start_ps;
    first = std::min(first, t.start_ps);
    last = std::max(last, t.end_ps);
  }
  std::sort(lat.begin(), lat.end());
  s.p50_ns = Ns(Percentile(lat, 50));
  s.p90_ns = Ns(Percentile(lat, 90));
  s.p99_ns = Ns(Percentile(lat, 99));
  s.max_ns = Ns(lat.back());
  s.mean_ns = Ns(sum) / static_cast<double>(lat.size());
  s.makespan_ps = last - first;
  s.throughput_tokens_per_s =
      s.makespan_ps ? static_cast<double>(lat.size()) / (static_cast<double>(s.makespan_ps) * 1e-12) : 0;
  return s;
}

const char* FidelityName(Fidelity f) {
  switch (f) {
    case Fidelity::kRtl:
      return "RTL";
    case Fidelity::kSampled:
      return "SAMPLED";
    case Fidelity::kAnalytic:
      return "ANALYTIC";
  }
  return "?";
}

namespace {

// Each writer below emits one or more top-level sections of results.json, in file order.

// What ran: the version, the config (its path and normalised text) and the model's shape.
void WriteRunHeader(JsonWriter& j, const RunOptions& o) {
  j.Field("moefab_version", "0.1.0");
  j.Field("config_path", o.config_path);
  j.Field("config", o.config_echo);
  j.Key("model")
      .BeginObject()
      .Field("name", o.model.name)
      .Field("num_layers", o.model.num_layers)
      .Field("d_model", o.model.d_model)
      .Field("expert_width", o.model.expert_width)
      .Field("num_experts", o.model.num_experts)
      .Field("top_k", o.model.top_k)
      .Field("num_shared_experts", o.model.num_shared_experts)
      .Field("num_dense_layers", o.model.num_dense_layers)
      .EndObject();
  j.Field("fidelity", FidelityName(o.fidelity));
  j.Field("weight_format", chips::WeightFormatName(o.model.format));
}

// Token latency percentiles, throughput, makespan and the mean per-token breakdown.
void WriteLatency(JsonWriter& j, const RankReport& m, const LatencySummary& s) {
  j.Field("tokens", static_cast<uint64_t>(m.tokens.size()));
  j.Key("latency_ns")
      .BeginObject()
      .Field("p50", s.p50_ns)
      .Field("p90", s.p90_ns)
      .Field("p99", s.p99_ns)
      .Field("max", s.max_ns)
      .Field("mean", s.mean_ns)
      .EndObject();
  j.Field("throughput_tokens_per_s", s.throughput_tokens_per_s);
  j.Field("makespan_ns", Ns(s.makespan_ps));
  // Mean per-token breakdown; the parts add up to the mean latency.
  const TokenBreakdown b = SumBreakdowns(m);
  const double n = static_cast<double>(std::max<size_t>(m.tokens.size(), 1));
  j.Key("latency_breakdown_mean_ns")
      .BeginObject()
      .Field("attention", Ns(b.attention_ps) / n)
      .Field("gate", Ns(b.gate_ps) / n)
      .Field("expert_phase", Ns(b.expert_phase_ps) / n)
      .Field("combine", Ns(b.combine_ps) / n)
      .Field("attention_core_queue", Ns(b.core_queue_ps) / n)
      .EndObject();
}

// The expert phase seen from the jobs: mean time of a job in each of its stages.
void WriteExpertJobTimes(JsonWriter& j, const JobTotals& jt) {
  const double jobs = static_cast<double>(std::max<uint64_t>(jt.jobs, 1));
  j.Key("expert_jobs_mean_ns")
      .BeginObject()
      .Field("jobs", jt.jobs)
      .Field("dispatch_network", Ns(jt.dispatch_network_ps) / jobs)
      .Field("held_at_ejection", Ns(jt.blocked_ps) / jobs)
      .Field("ingress_queue", Ns(jt.ingress_wait_ps) / jobs)
      .Field("compute", Ns(jt.compute_ps) / jobs)
      .Field("egress", Ns(jt.egress_wait_ps) / jobs)
      .Field("return_network", Ns(jt.return_network_ps) / jobs)
      .Field("chip_cycles_per_job", static_cast<double>(jt.chip_cycles) / jobs)
      .EndObject();
}

// One entry per directed link; `span_ps` is the utilisation denominator (the makespan).
void WriteLinks(JsonWriter& j, const std::vector<LinkRecord>& links, double span_ps) {
  j.Key("links").BeginArray();
  for (const auto& l : links) {
    j.BeginObject()
        .Field("from", l.from)
        .Field("to", l.to)
        .Field("port", l.port)
        .Field("bytes", l.bytes)
        .Field("packets", l.packets)
        .Field("utilisation", static_cast<double>(l.busy_ps) / span_ps)
        .Field("peak_waiting_packets", l.peak_waiting_packets)
        .Field("peak_buffer_flits", l.peak_buffer_flits)
        .Field("optical", l.optical != 0)
        .EndObject();
  }
  j.EndArray();
}

// fabric.message_latency_histogram: buckets with their upper bound (ns) and count, empty
// buckets left out.
void WriteMessageLatencyHistogram(JsonWriter& j, const LogHistogram& hist) {
  j.Key("message_latency_histogram").BeginArray();
  for (uint32_t bucket = 0; bucket < hist.counts.size(); ++bucket) {
    if (hist.counts[bucket] == 0) continue;
    j.BeginObject().Field("upto_ns", Ns(LogHistogram::UpperOf(bucket))).Field("count", hist.counts[bucket]).EndObject();
  }
  j.EndArray();
}

// fabric.reconfigurations: the OCS rewirings, in order.
void WriteReconfigurations(JsonWriter& j, const std::vector<ReconfigRecord>& reconfigs) {
  j.Key("reconfigurations").BeginArray();
  for (const auto& r : reconfigs) {
    j.BeginObject()
        .Field("begin_ns", Ns(r.begin_ps))
        .Field("drained_ns", Ns(r.drained_ps))
        .Field("installed_ns", Ns(r.installed_ps))
        .Field("links_down_ns", Ns(r.installed_ps - r.begin_ps))
        .Field("affected_links", r.affected_links)
        .Field("delayed_packets", r.delayed_packets)
        .Field("delayed_bytes", r.delayed_bytes)
        .Field("delayed_total_ns", Ns(r.delayed_ps))
        .EndObject();
  }
  j.EndArray();
}

// The network: its model, totals, message latency distribution and OCS rewirings.
void WriteFabric(JsonWriter& j, const RunOptions& o, const RankReport& m) {
  const FabricTotals& f = m.fabric;
  const double packets = f.packets ? static_cast<double>(f.packets) : 1.0;
  const double messages = f.messages ? static_cast<double>(f.messages) : 1.0;
  const auto& net = o.fabric.network;
  LogHistogram hist;
  hist.Merge(m.message_latency_hist);
  j.Key("fabric")
      .BeginObject()
      .Field("topology", o.fabric.kind_name)
      .Field("flow_control",
             net.flow_control == fabric::FlowControl::kStoreAndForward ? "store_and_forward" : "virtual_cut_through")
      .Field("flit_bytes", net.flit_bytes)
      .Field("mtu_bytes", net.mtu_bytes)
      .Field("messages", f.messages)
      .Field("packets", f.packets)
      .Field("flits", f.flits)
      .Field("packet_hops", f.packet_hops)
      .Field("mean_hops_per_packet", static_cast<double>(f.packet_hops) / packets)
      .Field("mean_packet_latency_ns", Ns(f.packet_latency_sum_ps) / packets)
      .Field("max_packet_latency_ns", Ns(f.packet_latency_max_ps))
      .Field("mean_message_latency_ns", Ns(f.message_latency_sum_ps) / messages)
      .Field("max_message_latency_ns", Ns(f.message_latency_max_ps))
      .Field("message_latency_p50_ns", Ns(hist.Quantile(0.5)))
      .Field("message_latency_p99_ns", Ns(hist.Quantile(0.99)))
      .Field("vc_overflows", f.vc_overflows);
  WriteMessageLatencyHistogram(j, hist);
  WriteReconfigurations(j, m.reconfigs);
  j.EndObject();
}

// One entry per chip (by node); `span_ps` is the utilisation denominator (the makespan).
void WriteChips(JsonWriter& j, const RunOptions& o, const std::vector<ChipRecord>& chips, double span_ps) {
  j.Key("chips").BeginArray();
  for (const auto& c : chips) {
    const auto& sku = o.skus[c.sku];
    j.BeginObject()
        .Field("node", c.node)
        .Field("sku", sku.name)
        .Field("kind", sku.kind == ChipKind::kAttention ? "attention" : "expert")
        .Field("busy_fraction", static_cast<double>(c.busy_ps) / span_ps)
        .Field("jobs", c.jobs)
        .Field("slots", c.slots)
        .Field("mean_active_slots", static_cast<double>(c.slot_active_ps) / span_ps)
        .Field("max_ingress_jobs", c.max_ingress)
        .EndObject();
  }
  j.EndArray();
}

// MoE utilisation of the etched expert chips (utilisation.h).
void WriteUtilisation(JsonWriter& j, const RunOptions& o, const Utilisation& u) {
  j.Key("utilisation")
      .BeginObject()
      .Field("etched_weights", u.etched_weights)
      .Field("weights_used_per_token", u.weights_used_per_token)
      .Field("weight_use_fraction", u.weight_use_fraction)
      .Field("mac_lane_utilisation", u.mac_lane_utilisation)
      .Field("transistors", u.transistors)
      .Field("die_mm2", u.die_mm2)
      .Field("transistors_per_etched_weight", u.transistors_per_etched_weight);
  // The area model's engine per expert SKU (chips/area/area_model.h).
  j.Key("engines").BeginArray();
  for (const auto& k : u.skus)
    j.BeginObject()
        .Field("sku", o.skus[k.sku].name)
        .Field("engine_transistors", k.engine_transistors)
        .Field("engine_rom_transistors", k.engine_rom_transistors)
        .Field("calibration", k.calibration)
        .EndObject();
  j.EndArray();
  j.Key("expert_chips").BeginArray();
  for (const auto& c : u.chips)
    j.BeginObject()
        .Field("node", c.node)
        .Field("sku", o.skus[c.sku].name)
        .Field("etched_weights", c.etched_weights)
        .Field("weights_used_per_token", c.weights_used_per_token)
        .Field("weight_use_fraction", c.weight_use_fraction)
        .Field("mac_lane_utilisation", c.mac_lane_utilisation)
        .Field("transistors", c.transistors)
        .Field("die_mm2", c.die_mm2)
        .EndObject();
  j.EndArray();
  j.EndObject();
}

// Jobs per expert: one array per layer, routed experts then shared ones.
void WriteExpertJobs(JsonWriter& j, const ModelOptions& model, const std::vector<uint64_t>& expert_jobs) {
  j.Key("expert_jobs").BeginArray();
  for (uint32_t layer = 0; layer < model.num_layers; ++layer) {
    j.BeginArray();
    for (uint32_t e = 0; e < model.experts_per_layer(); ++e)
      j.Uint(expert_jobs[static_cast<size_t>(layer) * model.experts_per_layer() + e]);
    j.EndArray();
  }
  j.EndArray();
}

// The golden check of the final hidden states and SAMPLED's RTL re-runs.
void WriteValidation(JsonWriter& j, const GoldenCheck& golden, const JobTotals& jt) {
  j.Key("validation")
      .BeginObject()
      .Field("golden_match", golden.enabled && golden.match)
      .Field("tokens_checked", golden.tokens_checked)
      .Field("tokens_mismatched", golden.tokens_mismatched)
      .Field("first_mismatch_token", golden.first_mismatch)
      .Field("sampled_rtl_checks", jt.sampled_checks)
      .Field("sampled_rtl_mismatches", jt.sampled_mismatches)
      .EndObject();
}

// The weight format's error against the float reference, or why it was not measured.
void WriteQuantisationError(JsonWriter& j, const RunOptions& o, const QuantErrorSummary& quant) {
  j.Key("quantisation_error")
      .BeginObject()
      .Field("format", chips::WeightFormatName(o.model.format))
      .Field("experts_measured", quant.experts)
      .Field("samples_per_expert", quant.samples_per_expert);
  if (quant.experts > 0) {
    j.Field("cosine_min", quant.cosine_min)
        .Field("cosine_mean", quant.cosine_mean)
        .Field("max_abs_error", quant.max_abs)
        .Field("rms_error", quant.rms);
  } else {
    j.Field("note", o.timing_only ? "timing-only run: no weights" : "no float reference for these weights");
  }
  j.EndObject();
}

// The workload as configured, and the jobs its capacity limit dropped.
void WriteWorkload(JsonWriter& j, const WorkloadOptions& w, uint64_t jobs_dropped) {
  j.Key("workload")
      .BeginObject()
      .Field("arrival", w.arrival == Arrival::kPoisson ? "poisson" : "closed_loop")
      .Field("concurrency", w.concurrency)
      .Field("rate_tokens_per_s", w.rate_tokens_per_s)
      .Field("context_length", w.context_length)
      .Field("context_length_spread", w.context_length_spread)
      .Field("capacity_factor", w.capacity_factor)
      .Field("capacity_window_tokens", w.capacity_window_tokens)
      .Field("overflow", "drop")
      .Field("jobs_dropped", jobs_dropped)
      .EndObject();
}

// Where the routing came from and the skew the run saw (routing_skew.h).
void WriteRouting(JsonWriter& j, const RunOptions& o, const RankReport& m) {
  const RoutingSkew s = ComputeRoutingSkew(o, m);
  const auto per_layer = [&j](const std::vector<double>& v) {
    j.Key("per_layer").BeginArray();
    for (double x : v) j.Double(x);
    j.EndArray();
  };
  j.Key("routing")
      .BeginObject()
      .Field("source", RoutingSourceName(o.routing.source))
      .Field("timing_only", o.timing_only);
  j.Key("max_over_mean_per_expert").BeginObject().Field("mean_over_layers", s.per_expert_mean);
  j.Field("max_over_layers", s.per_expert_max);
  per_layer(s.per_expert);
  j.EndObject();
  j.Key("max_over_mean_per_chip").BeginObject().Field("groups", s.groups);
  j.Field("mean_over_layers", s.per_group_mean).Field("max_over_layers", s.per_group_max);
  per_layer(s.per_group);
  j.Field("expert_chips", s.per_expert_chip);
  j.EndObject();
  j.EndObject();
}

// What the model needs: expert slots (replicas included) and, per expert SKU with a weight
// capacity, how many chips of it would hold them.
void WritePlacement(JsonWriter& j, const RunOptions& o, const ClusterPlan& plan) {
  const uint64_t slots = plan.num_slots();
  j.Key("placement")
      .BeginObject()
      .Field("strategy", PlacementStrategyName(o.placement.strategy))
      .Field("replica_policy", router::ReplicaPolicyName(o.placement.replica_policy))
      .Field("expert_slots", slots)
      .Field("weight_bits_per_expert", ExpertWeightBits(o.model, o.model.format));
  j.Key("chips_needed").BeginArray();
  for (uint32_t k = 0; k < o.skus.size(); ++k) {
    const auto& sku = o.skus[k];
    if (sku.kind != ChipKind::kExpert || sku.weight_capacity_bits == 0) continue;
    uint32_t have = 0;
    for (uint32_t sku_of_node : o.node_sku) have += sku_of_node == k;
    const auto format = ExpertFormatOf(o.model, sku);
    const uint64_t per_chip = sku.weight_capacity_bits / SlotWeightBits(o.model, sku);
    j.BeginObject()
        .Field("sku", sku.name)
        .Field("weight_format", chips::WeightFormatName(format))
        .Field("experts_per_chip", per_chip)
        .Field("chips_needed", per_chip ? (slots + per_chip - 1) / per_chip : 0)
        .Field("chips_in_config", have)
        .EndObject();
  }
  j.EndArray();
  j.EndObject();
}

// Joules of the run (energy.h) and the per-operation energies they were computed with.
void WriteEnergy(JsonWriter& j, const RunOptions& o, const ClusterPlan& plan, const RankReport& m, Tick makespan_ps) {
  const EnergyReport en = ComputeEnergy(o, plan, m, makespan_ps);
  j.Key("energy")
      .BeginObject()
      .Field("joules_per_token", en.per_token_j)
      .Field("total_j", en.total_j)
      .Field("expert_mac_j", en.mac_j)
      .Field("link_j", en.link_j)
      .Field("attention_j", en.attention_j)
      .Field("static_j", en.static_j)
      .Field("expert_macs", en.macs)
      .Field("link_bit_hops", en.link_bit_hops)
      .Field("attention_flops", en.attention_flops)
      .Field("mac_pj", MacPj(o.energy, o.model.format))
      .Field("link_pj_per_bit_hop", o.energy.link_pj_per_bit_hop)
      .Field("attention_pj_per_flop", o.energy.attention_pj_per_flop)
      .EndObject();
}

// The simulator's own work: simulated, so identical for any rank count.
void WriteSimulation(JsonWriter& j, const RankReport& m) {
  j.Key("simulation")
      .BeginObject()
      .Field("events", m.events)
      .Field("rtl_cycles_simulated", m.rtl_cycles_simulated)
      .EndObject();
}

// Ranks, machine and wall-clock figures, kept apart: everything before this section is
// simulated and identical for any rank count.
void WriteHost(JsonWriter& j, const HostInfo& host, const RankReport& m) {
  j.Key("host")
      .BeginObject()
      .Field("ranks", host.ranks)
      .Field("transport", host.transport)
      .Field("sync", host.sync)
      .Field("wall_seconds", host.wall_seconds)
      .Field("simulate_wall_seconds", host.simulate_wall_seconds)
      .Field("events_per_second",
             host.simulate_wall_seconds > 0 ? static_cast<double>(m.events) / host.simulate_wall_seconds : 0.0)
      .Field("simulated_tokens_per_wall_second",
             host.simulate_wall_seconds > 0 ? static_cast<double>(m.tokens.size()) / host.simulate_wall_seconds : 0.0)
      .Field("windows", host.windows)
      .Field("events_sent_cross_rank", host.events_sent)
      .Field("lookahead_ns", Ns(host.lookahead_ps))
      .Field("peak_rss_mbytes", host.peak_rss_mbytes);
  if (!host.per_rank.empty()) {
    // Where each rank's time went, and the load imbalance.
    j.Field("rank_mapping", host.rank_mapping)
        .Field("events_per_window",
               host.windows ? static_cast<double>(m.events) / static_cast<double>(host.windows) : 0.0)
        .Field("load_imbalance", LoadImbalance(host));
    if (host.critical_path_seconds > 0)
      j.Field("critical_path_seconds", host.critical_path_seconds)
          .Field("window_parallelism", host.window_parallelism)
          .Field("windows_per_record", host.windows_per_record);
    j.Key("per_rank").BeginArray();
    for (const auto& r : host.per_rank)
      j.BeginObject()
          .Field("nodes", r.nodes)
          .Field("events", r.events)
          .Field("credits_without_events", r.credits_without_events)
          .Field("events_sent", r.events_sent)
          .Field("early_events", r.early_events)
          .Field("events_per_window",
                 host.windows ? static_cast<double>(r.events) / static_cast<double>(host.windows) : 0.0)
          .Field("work_seconds", r.work_seconds)
          .Field("background_seconds", r.background_seconds)
          .Field("wait_seconds", r.wait_seconds)
          .EndObject();
    j.EndArray();
  }
  j.EndObject();
}

}  // namespace

double LoadImbalance(const HostInfo& host) {
  double busy_max = 0, busy_sum = 0;
  for (const auto& r : host.per_rank) {
    busy_max = std::max(busy_max, r.work_seconds + r.background_seconds);
    busy_sum += r.work_seconds + r.background_seconds;
  }
  const double busy_mean = host.per_rank.empty() ? 0 : busy_sum / static_cast<double>(host.per_rank.size());
  return busy_mean > 0 ? busy_max / busy_mean : 1.0;
}

std::string ResultsJson(const RunOptions& o, const ClusterPlan& plan, const RankReport& m, const GoldenCheck& golden,
                        const QuantErrorSummary& quant, const HostInfo& host) {
  const LatencySummary s = Summarise(m);
  // Utilisations are over the makespan, at least 1 ps (a run without tokens divides by 1).
  const double span = static_cast<double>(std::max<Tick>(s.makespan_ps, 1));
  JsonWriter j;
  j.BeginObject();
  WriteRunHeader(j, o);
  WriteLatency(j, m, s);
  WriteExpertJobTimes(j, m.job_totals);
  WriteLinks(j, m.links, span);
  WriteFabric(j, o, m);
  WriteChips(j, o, m.chips, span);
  WriteUtilisation(j, o, ComputeUtilisation(o, m.chips, m.tokens.size(), span));
  WriteExpertJobs(j, o.model, m.expert_jobs);
  WriteValidation(j, golden, m.job_totals);
  WriteQuantisationError(j, o, quant);
  WriteWorkload(j, o.workload, m.jobs_dropped);
  WriteRouting(j, o, m);
  WritePlacement(j, o, plan);
  WriteEnergy(j, o, plan, m, s.makespan_ps);
  WriteSimulation(j, m);
  WriteHost(j, host, m);
  j.EndObject();
  return j.str();
}

void WriteFileAtomically(const std::string& dir, const std::string& name, const std::string& text) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const fs::path final_path = fs::path(dir) / name;
  const fs::path tmp = fs::path(dir) / ("." + name + ".tmp");
  const TempFileGuard guard(tmp.string());
  bool ok = false;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    ok = static_cast<bool>(out);
  }
  std::error_code ec;
  if (ok) fs::rename(tmp, final_path, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);  // a full disk leaves no partial file behind
    throw std::runtime_error("cannot write " + final_path.string() + " (disk full or not writable?)");
  }
}

}  // namespace moefab
