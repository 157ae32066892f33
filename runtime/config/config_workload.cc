// Config sections after the cluster's shape: workload (arrivals, context, capacity), routing
// source, energy, simulation and report options.
#include <cmath>
#include <filesystem>

#include "runtime/config/config_internal.h"

namespace moefab::config_detail {

std::string RelativeToConfig(const std::string& config_path, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || config_path.empty() || config_path.front() == '<') return path;
  return (std::filesystem::path(config_path).parent_path() / p).string();
}

namespace {

// Zipf exponent of the family, from the routing statistics (docs/REFERENCES.md R-ZIPF-DEFAULTS):
// coarse experts with an auxiliary loss are nearly uniform, fine-grained ones skewed.
double DefaultZipf(uint32_t experts) {
  if (experts <= 16) return 0.15;  // Mixtral-like: max/mean 1.07-1.33
  if (experts <= 64) return 0.3;   // OLMoE-like: pooled max/mean 2.1-2.75
  return 0.55;                     // DeepSeek/Qwen3-like: TRT-LLM max/mean 11.9 at E 256
}

void ConvertWorkload(const pb::Config& c, Problems& p, RunOptions& out) {
  const auto& w = c.workload();
  if (w.num_tokens() < 1) p.Add("workload.num_tokens", w.num_tokens(), "expected >= 1");
  p.Range("workload.concurrency", w.concurrency(), 1u, limits::kMaxCount);
  p.Range("workload.context_length", w.context_length(), 1u, 1u << 24);
  p.Range("workload.capacity_window_tokens", w.capacity_window_tokens(), 0u, 1u << 24, "0 = concurrency");
  auto& o = out.workload;
  o.num_tokens = w.num_tokens();
  o.concurrency = w.concurrency();
  o.input_seed = w.input_seed();
  switch (w.arrival()) {
    case pb::CLOSED_LOOP:
      o.arrival = Arrival::kClosedLoop;
      break;
    case pb::POISSON:
      o.arrival = Arrival::kPoisson;
      break;
    default:
      p.Add("workload.arrival", w.arrival(), "expected CLOSED_LOOP or POISSON");
  }
  o.rate_tokens_per_s = w.rate_tokens_per_s();
  if (o.arrival == Arrival::kPoisson && !(o.rate_tokens_per_s > 0))
    p.Add("workload.rate_tokens_per_s", w.rate_tokens_per_s(), "expected > 0 with arrival POISSON");
  else if (o.arrival == Arrival::kPoisson)
    p.Range("workload.rate_tokens_per_s", w.rate_tokens_per_s(), 1e-6, 1e12, "with arrival POISSON");
  o.context_length = w.context_length();
  o.context_length_spread = w.context_length_spread();
  if (o.context_length_spread >= o.context_length)
    p.Add("workload.context_length_spread", o.context_length_spread,
          "expected < context_length (" + std::to_string(o.context_length) + ")");
  p.Range("workload.capacity_factor", w.capacity_factor(), 0.0, 1e6, "0 = no capacity limit");
  o.capacity_factor = w.capacity_factor();
  switch (w.overflow()) {
    case pb::DROP:
      o.overflow = Overflow::kDrop;
      break;
    default:
      p.Add("workload.overflow", pb::OverflowPolicy_Name(w.overflow()),
            "expected DROP (NEXT_BEST is not modelled yet)");
  }
  o.capacity_window_tokens = w.capacity_window_tokens() ? w.capacity_window_tokens() : o.concurrency;
}

void ConvertRouting(const pb::Config& c, Problems& p, RunOptions& out) {
  const auto& r = c.routing();
  auto& o = out.routing;
  switch (r.source()) {
    case pb::GATE:
      o.source = RoutingSource::kGate;
      break;
    case pb::SYNTHETIC:
      o.source = RoutingSource::kSynthetic;
      break;
    case pb::TRACE:
      o.source = RoutingSource::kTrace;
      break;
    default:
      p.Add("routing.source", r.source(), "expected GATE, SYNTHETIC or TRACE");
  }
  o.trace = r.trace().empty() ? "" : RelativeToConfig(out.config_path, r.trace());
  o.write_trace = r.write_trace();
  if (!o.write_trace.empty()) {
    // Fail now, not after the run: the folder must exist.
    const auto dir = std::filesystem::path(o.write_trace).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      p.Add("routing.write_trace", "\"" + r.write_trace() + "\"",
            "expected a file in an existing folder (" + dir.string() + " does not exist)");
  }
  if (o.source == RoutingSource::kTrace && o.trace.empty())
    p.Add("routing.trace", "\"\"", "expected a routing trace file with source TRACE");
  if (o.source != RoutingSource::kTrace && !o.trace.empty())
    p.Add("routing.trace", "\"" + r.trace() + "\"", "expected no trace file unless source is TRACE");
  const auto& m = out.model;
  auto& s = o.synthetic;
  s.num_tokens = out.workload.num_tokens;
  s.num_layers = m.num_layers;
  s.num_experts = m.num_experts;
  s.top_k = m.top_k;
  s.zipf_s.assign(r.zipf_s().begin(), r.zipf_s().end());
  if (s.zipf_s.empty()) s.zipf_s.push_back(DefaultZipf(m.num_experts));
  if (s.zipf_s.size() != 1 && s.zipf_s.size() != m.num_layers)
    p.Add("routing.zipf_s", std::to_string(s.zipf_s.size()) + " values",
          "expected one value or one per MoE layer (" + std::to_string(m.num_layers) + ")");
  for (size_t i = 0; i < s.zipf_s.size(); ++i)
    p.Range("routing.zipf_s[" + std::to_string(i) + "]", s.zipf_s[i], 0.0, 10.0);
  p.Range("routing.repeat_prob", r.repeat_prob(), 0.0, 1.0);
  p.Range("routing.affinity_prob", r.affinity_prob(), 0.0, 1.0);
  p.Range("routing.preference_prob", r.preference_prob(), 0.0, 1.0);
  s.repeat_prob = r.repeat_prob();  // the schema's defaults unless routing.no_defaults
  s.affinity_prob = r.affinity_prob();
  s.preference_prob = r.preference_prob();
  // Decode streams: one per token in flight (closed loop), or per attention chip.
  s.streams = std::max(1u, out.workload.concurrency);
  s.seed = r.seed();
  if (o.source == RoutingSource::kSynthetic && p.empty()) {
    try {
      router::ValidateSyntheticRoutingParams(s);
    } catch (const ConfigError& e) {
      p.AddRaw(std::string("routing: ") + e.what());
    }
  }
}

void ConvertEnergy(const pb::Config& c, Problems& p, RunOptions& out) {
  const auto& e = c.energy();
  auto& o = out.energy;
  const auto take = [&](const char* field, double v, double& dst) {
    p.Range(std::string("energy.") + field, v, 0.0, 1e6);
    dst = v;
  };
  take("mac_pj_int4", e.mac_pj_int4(), o.mac_pj_int4);
  take("mac_pj_int3", e.mac_pj_int3(), o.mac_pj_int3);
  take("mac_pj_mxfp4", e.mac_pj_mxfp4(), o.mac_pj_mxfp4);
  take("link_pj_per_bit_hop", e.link_pj_per_bit_hop(), o.link_pj_per_bit_hop);
  take("attention_pj_per_flop", e.attention_pj_per_flop(), o.attention_pj_per_flop);
}

}  // namespace

void ConvertRest(const pb::Config& c, Problems& p, RunOptions& out) {
  ConvertWorkload(c, p, out);
  ConvertRouting(c, p, out);
  ConvertEnergy(c, p, out);
  const auto& s = c.simulation();
  switch (s.fidelity()) {
    case pb::RTL:
      out.fidelity = Fidelity::kRtl;
      break;
    case pb::SAMPLED:
      out.fidelity = Fidelity::kSampled;
      break;
    case pb::ANALYTIC:
      out.fidelity = Fidelity::kAnalytic;
      break;
    default:
      p.Add("simulation.fidelity", s.fidelity(), "expected RTL, SAMPLED or ANALYTIC");
  }
  // Without a weight file and with routing that does not need the gate, ANALYTIC runs need no
  // weights at all: the full-size models run timing-only (no hidden states, no golden check).
  out.timing_only = out.fidelity == Fidelity::kAnalytic && out.routing.source != RoutingSource::kGate &&
                    out.model.safetensors.empty();
  p.Range("simulation.sample_every", s.sample_every(), 1u, limits::kMaxCount);
  p.Range("simulation.quant_error_samples", s.quant_error_samples(), 1u, 1u << 16);
  p.Range("simulation.memory_budget_mbytes", s.memory_budget_mbytes(), uint64_t{1}, uint64_t{1} << 30);
  out.memory_budget_mbytes = s.memory_budget_mbytes();
  p.Range("simulation.peer_timeout_seconds", s.peer_timeout_seconds(), 1u, 604800u);
  out.peer_timeout_seconds = s.peer_timeout_seconds();
  out.early_events = s.early_events();
  if (s.checkpoint_every_us() != 0) {
    if (p.Range("simulation.checkpoint_every_us", s.checkpoint_every_us(), uint64_t{1}, uint64_t{1'000'000'000'000}))
      out.checkpoint_every_ps = s.checkpoint_every_us() * 1'000'000;
    if (out.fidelity != Fidelity::kAnalytic)
      p.Add("simulation.checkpoint_every_us", s.checkpoint_every_us(),
            "checkpoints need fidelity ANALYTIC (RTL and SAMPLED keep chip state inside Verilator, which is not saved)");
    if (s.sync() == pb::SYNC_ASYNC)
      p.Add("simulation.checkpoint_every_us", s.checkpoint_every_us(), "checkpoints need SYNC_AUTO or SYNC_WINDOWS");
  }
  out.sample_every = s.sample_every();
  out.quant_error_samples = s.quant_error_samples();
  out.build_cache = s.build_cache();
  if (s.transport() == "auto")
    out.transport = TransportKind::kAuto;
  else if (s.transport() == "mpi")
    out.transport = TransportKind::kMpi;
  else if (s.transport() == "ucx")
    out.transport = TransportKind::kUcx;
  else if (s.transport() == "shm")
    out.transport = TransportKind::kShm;
  else
    p.Add("simulation.transport", "\"" + s.transport() + "\"", "expected \"auto\", \"mpi\", \"ucx\" or \"shm\"");
  switch (s.sync()) {
    case pb::SYNC_AUTO:
      out.sync = SyncMode::kAuto;
      break;
    case pb::SYNC_WINDOWS:
      out.sync = SyncMode::kWindows;
      break;
    case pb::SYNC_ASYNC:
      out.sync = SyncMode::kAsync;
      break;
    default:
      p.Add("simulation.sync", s.sync(), "expected SYNC_AUTO, SYNC_WINDOWS or SYNC_ASYNC");
  }
  out.report.csv = c.report().csv();
  out.report.html = c.report().html();
  out.report.trace = c.report().trace();
  out.report.trace_max_tokens = c.report().trace_max_tokens();
  out.rank_mapping = s.rank_mapping() == pb::ROUND_ROBIN_NODES ? RankMapping::kRoundRobin : RankMapping::kBlock;
  out.golden_check = !s.skip_golden_check() && !out.timing_only;
  out.progress_seconds = s.progress_seconds();
  // RTL and SAMPLED use a linked-in Verilated build when one matches, otherwise they build
  // the engine on demand (runtime/rtl_engines.h).
}

}  // namespace moefab::config_detail
