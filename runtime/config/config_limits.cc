// Checks of quantities derived from several fields, after every section is converted: the
// expert shape of runs that compute, the attention time from the chips' rates, the spacing of
// OCS rewirings against the switch time, and the memory a run would need against
// simulation.memory_budget_mbytes. Each is computed in floating point (no wrap) before the run
// computes it in integer picoseconds or allocates it.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "chips/numerics/expert_weights.h"
#include "runtime/config/attention_work.h"
#include "runtime/config/config_internal.h"

namespace moefab::config_detail {

namespace {

using namespace limits;  // NOLINT(google-build-using-namespace): the ranges

constexpr double kMiB = 1024.0 * 1024.0;

std::string Mb(double bytes) {
  std::ostringstream os;
  os << std::llround(std::ceil(bytes / kMiB)) << " MB";
  return os.str();
}

// Runs that compute keep weights: the engines take at most kMaxExpertDim per dimension.
void CheckComputedShape(const RunOptions& o, Problems& p) {
  if (o.timing_only) return;
  const std::string why =
      "runs with weights (fidelity RTL or SAMPLED, GATE routing or a weight file); "
      "ANALYTIC timing-only runs take more";
  p.Range("model.d_model", o.model.d_model, 1u, chips::kMaxExpertDim, why);
  p.Range("model.expert_width", o.model.expert_width, 1u, chips::kMaxExpertDim, why);
}

// The attention time of one token at one layer (the first, with the dense layers, and the
// longest context; CONTINUOUS: a full batch of them with the weights) must be a tick count
// well inside 64 bits.
void CheckAttentionTime(const RunOptions& o, Problems& p) {
  const double context = static_cast<double>(uint64_t{o.workload.context_length} + o.workload.context_length_spread);
  const auto w = AttentionWorkOf<double>(o.model, context, true);
  for (size_t i = 0; i < o.skus.size(); ++i) {
    const SkuOptions& s = o.skus[i];
    if (s.kind != ChipKind::kAttention) continue;
    const bool batched = s.batching == AttentionBatching::kContinuous;
    const double n = batched ? s.max_batch_tokens : 1;
    const double ps = 1e12 * AttentionSeconds(s, n * w.flops, n * w.kv_bytes + (batched ? w.weight_bytes : 0));
    if (ps <= static_cast<double>(kMaxWaitPs)) continue;
    std::ostringstream os;
    os << "skus[" << i << "] (" << s.name << "): compute_tflops=" << s.compute_tflops
       << ", memory_gbytes_per_s=" << s.memory_gbytes_per_s << ": one " << (batched ? "batch's" : "token's")
       << " attention at one layer would take " << ps << " ps; expected at most " << kMaxWaitPs
       << " ps (1000 s): raise the rates";
    p.AddRaw(os.str());
  }
}

// An OCS reconfiguration drains, reports, switches and installs before the next may start.
void CheckRewireSchedule(const pb::Config& c, const RunOptions& o, Problems& p) {
  const auto& rewires = c.fabric().torus().rewires();
  if (rewires.size() < 2) return;
  const auto& n = o.fabric.network;
  const auto& t = o.fabric.topology;
  const uint64_t bandwidth = std::min(t.link.bandwidth_mbytes_per_s, t.optical.bandwidth_mbytes_per_s);
  const double packet_ps = std::ceil(static_cast<double>(uint64_t{n.mtu_bytes} + n.header_bytes) * 1e6 /
                                     static_cast<double>(std::max<uint64_t>(1, bandwidth)));
  const double drain_ps = packet_ps + static_cast<double>(std::max(t.link.latency_ps, t.optical.latency_ps));
  const double need = static_cast<double>(n.ocs_switch_ps) + 2.0 * static_cast<double>(n.control_latency_ps) + drain_ps;
  for (int i = 1; i < rewires.size(); ++i) {
    const double gap = static_cast<double>(rewires[i].at_ps()) - static_cast<double>(rewires[i - 1].at_ps());
    if (gap >= need) continue;
    std::ostringstream os;
    os << "fabric.torus.rewires[" << i << "].at_ps=" << rewires[i].at_ps() << ": expected >= rewires[" << i - 1
       << "].at_ps + " << std::llround(need) << " ps (fabric.ocs_switch_ps " << n.ocs_switch_ps
       << " + 2 x OCS control latency " << n.control_latency_ps << " + drain of one packet " << std::llround(drain_ps)
       << "): the previous reconfiguration must be installed first";
    p.AddRaw(os.str());
  }
}

// The largest allocations of a run, estimated from the settings (bytes, whole cluster: a rank
// may host every chip).
void CheckMemory(const RunOptions& o, Problems& p) {
  const auto& m = o.model;
  const double tokens = o.workload.num_tokens, layers = m.num_layers, k = m.top_k;
  const double table = o.routing.source == RoutingSource::kGate ? 0.0 : tokens * layers * (k * 8.0 + 1.0);
  const double per_token = 256.0 + layers * k * 12.0 + (o.timing_only ? 0.0 : 4.0 * m.d_model);
  const double token_bytes = tokens * per_token;
  const double weights = o.timing_only ? 0.0
                                       : layers * m.experts_per_layer() * 8.0 * static_cast<double>(m.d_model) *
                                             static_cast<double>(m.expert_width);
  const double nodes = o.num_nodes();
  const double fabric = nodes * 64.0 * 1024.0 + nodes * nodes * 8.0;  // routers and buffers, route tables
  const double total = table + token_bytes + weights + fabric;
  const double budget = static_cast<double>(o.memory_budget_mbytes) * kMiB;
  if (total <= budget) return;
  p.AddRaw("estimated memory " + Mb(total) + " (routing table " + Mb(table) + ", tokens " + Mb(token_bytes) +
           ", expert weights " + Mb(weights) + ", fabric " + Mb(fabric) +
           "): expected at most simulation.memory_budget_mbytes (" + std::to_string(o.memory_budget_mbytes) +
           " MB); fewer tokens, or raise the budget");
}

// An HBM expert chip is a timing model only: its runs carry no weights or values.
void CheckMemoryExperts(const RunOptions& o, Problems& p) {
  for (size_t i = 0; i < o.skus.size(); ++i)
    if (o.skus[i].kind == ChipKind::kExpert && o.skus[i].memory_weights && !o.timing_only)
      p.AddRaw("skus[" + std::to_string(i) + "] (" + o.skus[i].name +
               "): weight_style=HBM: expected a timing-only run (fidelity ANALYTIC, routing SYNTHETIC or TRACE, "
               "no weight file): an HBM expert chip computes no values");
}

}  // namespace

void CheckDerived(const pb::Config& c, Problems& p, const RunOptions& out) {
  CheckMemoryExperts(out, p);
  CheckComputedShape(out, p);
  CheckAttentionTime(out, p);
  CheckRewireSchedule(c, out, p);
  CheckMemory(out, p);
}

}  // namespace moefab::config_detail
