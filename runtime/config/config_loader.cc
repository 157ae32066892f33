#include "runtime/config/config_loader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "chips/expert_engine.h"
#include "core/error.h"
#include "moefab.pb.h"
#include "runtime/config/config_internal.h"
#include "runtime/config/fabric_options.h"
#include "runtime/config/hf_config.h"
#include "runtime/config/parse_hints.h"
#include "runtime/config/schema_defaults.h"

namespace moefab {

namespace {

namespace pb = ::moefab::config;
using config_detail::Problems;
using namespace config_detail::limits;  // NOLINT(google-build-using-namespace): the ranges

// Collects parse errors as "file:line:col: message" (1-based, as editors count).
class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit ParseErrors(std::string file) : file_(std::move(file)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    lines_.push_back(file_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " +
                     ExplainParseError(message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    AddError(line, column, message);
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::string file_;                // name used in messages
  std::vector<std::string> lines_;  // one per error
};

std::string JoinDims(const google::protobuf::RepeatedField<uint32_t>& dims) {
  std::string s = "[";
  for (int i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

void ConvertModel(const pb::Model& m, Problems& p, ModelOptions& out) {
  out.name = m.name();
  p.Range("model.num_layers", m.num_layers(), 1u, kMaxLayers - 1);
  p.Range("model.d_model", m.d_model(), 1u, kMaxTimingDim);
  p.Range("model.expert_width", m.expert_width(), 1u, kMaxTimingWidth);
  if (m.num_experts() < 1) p.Add("model.num_experts", m.num_experts(), "expected >= 1");
  p.Range("model.gate_logit_scale", m.gate_logit_scale(), 1e-9, 1.0, "real value of one gate-logit LSB");
  p.Range("model.routed_scaling", m.routed_scaling(), 1e-6, 64.0);
  p.Range("model.num_dense_layers", m.num_dense_layers(), 0u, kMaxLayers);
  p.Range("model.dense_ffn_width", m.dense_ffn_width(), 0u, kMaxTimingWidth);
  p.Range("model.num_heads", m.num_heads(), 0u, kMaxTimingDim);
  p.Range("model.num_kv_heads", m.num_kv_heads(), 0u, kMaxTimingDim);
  p.Range("model.head_dim", m.head_dim(), 1u, kMaxTimingDim);
  p.Range("model.kv_bytes_per_token_layer", m.kv_bytes_per_token_layer(), 0u, 1u << 30);
  p.Range("model.kv_lora_rank", m.kv_lora_rank(), 0u, kMaxTimingDim);
  p.Range("model.q_lora_rank", m.q_lora_rank(), 0u, kMaxTimingDim);
  p.Range("model.v_head_dim", m.v_head_dim(), 0u, kMaxTimingDim);
  if (m.kv_lora_rank() > 0 && m.qk_rope_head_dim() >= m.head_dim())
    p.Add("model.qk_rope_head_dim", m.qk_rope_head_dim(),
          "expected less than model.head_dim (" + std::to_string(m.head_dim()) + ", the non-rotary part + the rotary)");
  if (m.top_k() < 1 || m.top_k() > m.num_experts())
    p.Add("model.top_k", m.top_k(),
          "expected between 1 and model.num_experts (" + std::to_string(m.num_experts()) + ")");
  switch (m.router()) {
    case pb::SOFTMAX_TOPK_RENORM:
      out.router.rule = router::Rule::kSoftmaxTopKRenorm;
      break;
    case pb::SOFTMAX_TOPK:
      out.router.rule = router::Rule::kSoftmaxTopK;
      break;
    case pb::SIGMOID_GROUP_TOPK:
      out.router.rule = router::Rule::kSigmoidGroupTopK;
      break;
    case pb::TOPK_SOFTMAX:
      out.router.rule = router::Rule::kTopKSoftmax;
      break;
    case pb::TOP1_SIGMOID_INPUT:
      out.router.rule = router::Rule::kTop1SigmoidInput;
      break;
    default:
      p.Add("model.router", m.router(), "expected a RouterRule of configs/moefab.proto");
  }
  out.router.top_k = m.top_k();
  out.router.num_groups = m.num_groups();
  out.router.topk_groups = m.topk_groups();
  out.router.routed_scaling = m.routed_scaling();
  out.num_shared_experts = m.num_shared_experts();
  if (m.top_k() >= 1 && m.top_k() <= m.num_experts() && p.empty()) {
    try {
      router::ValidateRouterParams(out.router, m.num_experts());
    } catch (const ConfigError& e) {
      p.Add("model.router", pb::RouterRule_Name(m.router()), e.what());
    }
  }
  switch (m.weight_format()) {
    case pb::INT4:
      out.format = chips::WeightFormat::kInt4;
      break;
    case pb::INT3:
      out.format = chips::WeightFormat::kInt3;
      break;
    case pb::MXFP4:
      out.format = chips::WeightFormat::kMxfp4;
      break;
    default:
      p.Add("model.weight_format", m.weight_format(), "expected INT4, INT3 or MXFP4");
  }
  switch (m.activation()) {
    case pb::SWIGLU:
      out.activation = chips::Activation::kSwiGlu;
      break;
    case pb::SWIGLU_CLAMPED:
      out.activation = chips::Activation::kSwiGluClamped;
      break;
    default:
      p.Add("model.activation", m.activation(), "expected SWIGLU or SWIGLU_CLAMPED");
  }
  out.safetensors = m.weights().safetensors();
  out.tensor_prefix = m.weights().tensor_prefix();
  switch (m.weights().layout()) {
    case pb::WEIGHT_LAYOUT_UNSPECIFIED:
      out.layout = ModelOptions::Layout::kNone;
      break;
    case pb::FLOAT_NAMED:
      out.layout = ModelOptions::Layout::kFloatNamed;
      break;
    case pb::GPT_OSS_MXFP4:
      out.layout = ModelOptions::Layout::kGptOssMxfp4;
      break;
    default:
      p.Add("model.weights.layout", m.weights().layout(), "expected FLOAT_NAMED or GPT_OSS_MXFP4");
  }
  if (!out.safetensors.empty() && out.layout == ModelOptions::Layout::kNone)
    p.Add("model.weights.layout", "WEIGHT_LAYOUT_UNSPECIFIED",
          "expected FLOAT_NAMED or GPT_OSS_MXFP4 with model.weights.safetensors");
  if (out.layout == ModelOptions::Layout::kGptOssMxfp4 && out.format != chips::WeightFormat::kMxfp4)
    p.Add("model.weight_format", chips::WeightFormatName(out.format),
          "expected MXFP4 with model.weights.layout GPT_OSS_MXFP4 (native MXFP4 blocks)");
  out.num_layers = m.num_layers();
  out.d_model = m.d_model();
  out.expert_width = m.expert_width();
  out.num_experts = m.num_experts();
  out.top_k = m.top_k();
  out.weight_seed = m.weight_seed();
  out.gate_logit_scale = m.gate_logit_scale();
  // Attention and dense layers: timing only (the attention chip's timing model).
  out.num_dense_layers = m.num_dense_layers();
  out.dense_ffn_width = m.dense_ffn_width() ? m.dense_ffn_width() : 4 * m.d_model();
  out.num_heads = m.num_heads() ? m.num_heads() : std::max(1u, m.d_model() / 128);
  out.num_kv_heads = m.num_kv_heads() ? m.num_kv_heads() : out.num_heads;
  out.head_dim = m.head_dim();
  out.kv_bytes_per_token_layer =
      m.kv_bytes_per_token_layer() ? m.kv_bytes_per_token_layer() : uint64_t{2} * 2 * out.num_kv_heads * out.head_dim;
  out.kv_lora_rank = m.kv_lora_rank();
  out.q_lora_rank = m.q_lora_rank();
  out.qk_rope_head_dim = m.qk_rope_head_dim();
  out.v_head_dim =
      m.v_head_dim() ? m.v_head_dim() : (m.qk_rope_head_dim() < m.head_dim() ? m.head_dim() - m.qk_rope_head_dim() : 0);
  if (out.num_shared_experts + out.num_experts >= (1u << 18))
    p.Add("model.num_experts", m.num_experts(), "expected fewer than 262144 experts per layer");
}

// An attention chip's batching policy; a CONTINUOUS batch is timed from the chip's rates.
void ConvertBatching(const pb::ChipSku& s, const std::string& f, Problems& p, SkuOptions& o) {
  p.Range(f + ".max_batch_tokens", s.max_batch_tokens(), 1u, 65536u);
  p.Range(f + ".max_batch_wait_ns", s.max_batch_wait_ns(), 0u, 1000000000u);
  o.max_batch_tokens = s.max_batch_tokens();
  o.max_batch_wait_ps = Tick{s.max_batch_wait_ns()} * kPsPerNs;
  switch (s.attention_batching()) {
    case pb::ATTENTION_BATCHING_UNSPECIFIED:
    case pb::FIFO:
      o.batching = AttentionBatching::kFifo;
      break;
    case pb::CONTINUOUS:
      o.batching = AttentionBatching::kContinuous;
      if (o.kind == ChipKind::kAttention && s.compute_tflops() <= 0 && s.memory_gbytes_per_s() <= 0)
        p.Add(f + ".attention_batching", "CONTINUOUS",
              "expected compute_tflops or memory_gbytes_per_s > 0 (a batch is timed from the chip's rates)");
      break;
    default:
      p.Add(f + ".attention_batching", s.attention_batching(), "expected FIFO or CONTINUOUS");
  }
}

void ConvertSkus(const pb::Config& c, Problems& p, RunOptions& out) {
  if (c.skus_size() == 0) p.Add("skus", "(none)", "expected at least one chip kind");
  std::set<std::string> names;
  for (int i = 0; i < c.skus_size(); ++i) {
    const auto& s = c.skus(i);
    const std::string f = "skus[" + std::to_string(i) + "]";
    SkuOptions o;
    o.name = s.name();
    if (s.name().empty()) p.Add(f + ".name", "\"\"", "expected a non-empty name");
    if (!names.insert(s.name()).second)
      p.Add(f + ".name", "\"" + s.name() + "\"", "expected a unique name (already used)");
    if (s.kind() == pb::ATTENTION) {
      o.kind = ChipKind::kAttention;
    } else if (s.kind() == pb::EXPERT) {
      o.kind = ChipKind::kExpert;
    } else {
      p.Add(f + ".kind", pb::ChipKind_Name(s.kind()), "expected ATTENTION or EXPERT");
    }
    const uint32_t mhz =
        p.Range(f + ".clock_mhz", s.clock_mhz(), 1u, 1000000u, "1 ps period at most") ? s.clock_mhz() : 1000u;
    p.Range(f + ".mac_lanes", s.mac_lanes(), 1u, 4096u);
    p.Range(f + ".ingress_queue_jobs", s.ingress_queue_jobs(), 1u, 1u << 20);
    p.Range(f + ".egress_buffer_results", s.egress_buffer_results(), 1u, 1u << 20);
    p.Range(f + ".egress_bandwidth_mbytes_per_s", s.egress_bandwidth_mbytes_per_s(), uint64_t{1}, kMaxMbytesPerS);
    // Period rounded to the nearest picosecond (ticks are integer ps).
    o.clock.period_ps = (1000000ULL + mhz / 2) / mhz;
    o.mac_lanes = s.mac_lanes();
    o.weight_capacity_bits = s.weight_capacity_bits();
    o.attention_ps = Tick{s.attention_ns()} * kPsPerNs;
    o.gate_ps = Tick{s.gate_ns()} * kPsPerNs;
    o.combine_ps = Tick{s.combine_ns()} * kPsPerNs;
    o.datapath = s.datapath() == pb::PRODUCT_SELECT  ? chips::Datapath::kProductSelect
                 : s.datapath() == pb::BLOCK_LIBRARY ? chips::Datapath::kBlockLibrary
                                                     : chips::Datapath::kMac;
    if (o.datapath == chips::Datapath::kBlockLibrary && o.kind == ChipKind::kExpert && o.mac_lanes != 4 &&
        o.mac_lanes != 8)
      p.Add(f + ".datapath", "BLOCK_LIBRARY",
            "expected mac_lanes 4 or 8 (the block-library engine's index word must fit its load port); mac_lanes is " +
                std::to_string(o.mac_lanes));
    o.weight_style = s.weight_style() == pb::HARDWIRED ? chips::WeightStyle::kHardwired : chips::WeightStyle::kRom;
    o.memory_weights = s.weight_style() == pb::HBM;
    p.Range(f + ".memory_bits_per_weight", s.memory_bits_per_weight(), 0.0, 64.0);
    o.memory_bits_per_weight = s.memory_bits_per_weight();
    if (o.memory_weights && o.kind == ChipKind::kExpert && (s.compute_tflops() <= 0 || s.memory_gbytes_per_s() <= 0))
      p.Add(f + ".weight_style", "HBM", "expected compute_tflops > 0 and memory_gbytes_per_s > 0 (an HBM chip is timed from them)");
    o.ingress_queue_jobs = s.ingress_queue_jobs();
    o.egress_buffer_results = s.egress_buffer_results();
    o.egress_bandwidth_mbytes_per_s = s.egress_bandwidth_mbytes_per_s();
    p.Range(f + ".transistors_per_mm2", s.transistors_per_mm2(), 1e3, 1e12);
    o.transistors_per_mm2 = s.transistors_per_mm2();
    p.ZeroOrRange(f + ".compute_tflops", s.compute_tflops(), 1e-3, 1e6, "0 = use attention_ns");
    p.ZeroOrRange(f + ".memory_gbytes_per_s", s.memory_gbytes_per_s(), 1e-3, 1e9, "0 = use attention_ns");
    p.Range(f + ".static_power_w", s.static_power_w(), 0.0, 1e6);
    o.compute_tflops = s.compute_tflops();
    o.memory_gbytes_per_s = s.memory_gbytes_per_s();
    ConvertBatching(s, f, p, o);
    o.static_power_w = s.static_power_w();
    o.has_format = s.weight_format() != pb::WEIGHT_FORMAT_UNSPECIFIED;
    switch (s.weight_format()) {
      case pb::WEIGHT_FORMAT_UNSPECIFIED:
      case pb::INT4:
        o.format = chips::WeightFormat::kInt4;
        break;
      case pb::INT3:
        o.format = chips::WeightFormat::kInt3;
        break;
      case pb::MXFP4:
        o.format = chips::WeightFormat::kMxfp4;
        break;
      default:
        p.Add(f + ".weight_format", s.weight_format(), "expected INT4, INT3 or MXFP4");
    }
    if (o.has_format && o.kind == ChipKind::kAttention)
      p.Add(f + ".weight_format", pb::WeightFormat_Name(s.weight_format()), "expected only on EXPERT chips");
    out.skus.push_back(o);
  }
}

void ConvertChips(const pb::Config& c, Problems& p, RunOptions& out) {
  std::map<std::string, uint32_t> by_name;
  for (uint32_t i = 0; i < out.skus.size(); ++i) by_name[out.skus[i].name] = i;
  std::string known;
  for (const auto& [n, idx] : by_name) known += (known.empty() ? "" : ", ") + n;
  // One SKU name per node, from `chips`, the compact `chip_groups` or the torus-sized
  // `chip_pattern`.
  std::vector<std::pair<std::string, std::string>> nodes;  // (field path, sku name)
  if (c.chips_size() > 0 && c.chip_groups_size() > 0)
    p.Add("chip_groups", c.chip_groups_size(), "expected either chips or chip_groups, not both");
  if (c.has_chip_pattern()) {
    if (c.chips_size() > 0 || c.chip_groups_size() > 0)
      p.Add("chip_pattern", "(set)", "expected chip_pattern alone, without chips or chip_groups");
    const auto& pattern = c.chip_pattern();
    const uint32_t every = pattern.nodes_per_attention();
    const bool ok = p.Range("chip_pattern.nodes_per_attention", every, 2u, 1u << 20);
    // As many nodes as the torus has (OCS cubes: cube grid x nodes per cube).
    uint64_t count = 1;
    for (uint32_t d : c.fabric().torus().dims()) count *= std::max(1u, std::min(d, 4096u));
    if (c.fabric().torus().kind() == pb::OCS_CUBES)  // (other kinds ignore cube_dims)
      for (uint32_t d : c.fabric().torus().cube_dims()) count *= std::max(1u, std::min(d, 4096u));
    for (uint64_t i = 0; ok && i < count && nodes.size() < (1u << 20); ++i) {
      const bool attention = i % every == 0;
      nodes.emplace_back(attention ? "chip_pattern.attention_sku" : "chip_pattern.expert_sku",
                         attention ? pattern.attention_sku() : pattern.expert_sku());
    }
  }
  for (int i = 0; i < c.chips_size(); ++i) nodes.emplace_back("chips[" + std::to_string(i) + "].sku", c.chips(i).sku());
  for (int g = 0; g < c.chip_groups_size(); ++g) {
    const auto& group = c.chip_groups(g);
    if (group.count() == 0) p.Add("chip_groups[" + std::to_string(g) + "].count", 0, "expected >= 1");
    for (uint32_t k = 0; k < group.count() && nodes.size() < (1u << 20); ++k)
      nodes.emplace_back("chip_groups[" + std::to_string(g) + "].sku", group.sku());
  }
  if (nodes.empty() && !c.has_chip_pattern())  // a bad pattern has said why already
    p.Add("chips", "(none)", "expected one entry per torus node (chips, chip_groups or chip_pattern)");
  if (c.has_chip_pattern()) {
    for (const auto& [field, name, kind] :
         {std::tuple{"chip_pattern.attention_sku", c.chip_pattern().attention_sku(), ChipKind::kAttention},
          std::tuple{"chip_pattern.expert_sku", c.chip_pattern().expert_sku(), ChipKind::kExpert}}) {
      const auto it = by_name.find(name);
      if (it != by_name.end() && out.skus[it->second].kind != kind)
        p.Add(field, "\"" + name + "\"",
              std::string("expected an ") + (kind == ChipKind::kAttention ? "ATTENTION" : "EXPERT") + " chip kind");
    }
  }
  bool has_attention = false, has_expert = false;
  std::set<std::string> reported;
  for (const auto& [field, name] : nodes) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      if (reported.insert(field).second)
        p.Add(field, "\"" + name + "\"", "expected the name of a chip kind in skus (" + known + ")");
      out.node_sku.push_back(0);
      continue;
    }
    out.node_sku.push_back(it->second);
    has_attention |= out.skus[it->second].kind == ChipKind::kAttention;
    has_expert |= out.skus[it->second].kind == ChipKind::kExpert;
  }
  if (!nodes.empty() && !has_attention)
    p.Add("chips", std::to_string(nodes.size()) + " chips", "expected at least one ATTENTION chip");
  if (!nodes.empty() && !has_expert)
    p.Add("chips", std::to_string(nodes.size()) + " chips", "expected at least one EXPERT chip");
}

// The fabric's numeric fields and the node count, before anything is sized by them.
bool CheckFabricRanges(const pb::Fabric& f, Problems& p) {
  const auto& t = f.torus();
  uint64_t nodes = 1;
  bool ok = true;
  for (const auto* list : {&t.dims(), &t.cube_dims()})
    for (uint32_t d : *list) {
      ok &= p.Range(std::string(list == &t.dims() ? "fabric.torus.dims" : "fabric.torus.cube_dims") + " entry", d, 1u,
                    4096u);
      nodes *= std::max(1u, std::min(d, 4096u));
    }
  if (ok && nodes > kMaxCount) {
    p.Add("fabric.torus.dims", JoinDims(t.dims()) + " (" + std::to_string(nodes) + " nodes)",
          "expected at most " + std::to_string(kMaxCount) + " nodes");
    ok = false;
  }
  ok &= p.Range("fabric.link_bandwidth_mbytes_per_s", f.link_bandwidth_mbytes_per_s(), uint64_t{1}, kMaxMbytesPerS);
  ok &= p.ZeroOrRange("fabric.torus.optical_bandwidth_mbytes_per_s", t.optical_bandwidth_mbytes_per_s(), uint64_t{1},
                      kMaxMbytesPerS, "0 = link_bandwidth_mbytes_per_s");
  ok &= p.Range("fabric.torus.optical_latency_ps", t.optical_latency_ps(), 1u, 1'000'000'000u, "1 ms");
  ok &= p.Range("fabric.header_bytes", f.header_bytes(), 0u, 65536u);
  ok &= p.Range("fabric.flit_bytes", f.flit_bytes(), 1u, 65536u);
  ok &= p.Range("fabric.mtu_bytes", f.mtu_bytes(), 1u, 1u << 24);
  ok &= p.Range("fabric.num_vcs", f.num_vcs(), 0u, 32u, "0 = what the deadlock avoidance needs");
  ok &= p.Range("fabric.buffer_flits", f.buffer_flits(), 0u, kMaxCount, "0 = one credit round trip + 2 packets");
  ok &= p.Range("fabric.watchdog_ps", f.watchdog_ps(), uint64_t{1}, kMaxWaitPs, "1000 s");
  ok &= p.Range("fabric.ocs_switch_ps", f.ocs_switch_ps(), uint64_t{1}, kMaxWaitPs, "1000 s");
  ok &= p.Range("fabric.credit_delay_ps", f.credit_delay_ps(), uint64_t{0}, kMaxDelayPs, "1 s");
  ok &= p.Range("fabric.injection_latency_ps", f.injection_latency_ps(), uint64_t{0}, kMaxDelayPs, "1 s");
  ok &= p.Range("fabric.ejection_latency_ps", f.ejection_latency_ps(), uint64_t{0}, kMaxDelayPs, "1 s");
  for (int i = 0; i < t.rewires_size(); ++i)
    ok &= p.Range("fabric.torus.rewires[" + std::to_string(i) + "].at_ps", t.rewires(i).at_ps(), uint64_t{0}, kMaxSimPs,
                  "2^62 ps");
  return ok;
}

void ConvertFabric(const pb::Config& c, Problems& p, RunOptions& out) {
  const auto& f = c.fabric();
  const auto& dims = f.torus().dims();
  if (dims.empty() || dims.size() > 3) {
    p.Add("fabric.torus.dims", JoinDims(dims), "expected 1 to 3 axes");
    return;
  }
  if (!CheckFabricRanges(f, p)) return;
  try {
    out.fabric = FabricModelOf(c, out.config_path);
  } catch (const ConfigError& e) {
    // FabricModelOf names the file itself; Problems adds it again.
    std::string text = e.what();
    const std::string prefix = out.config_path + ": ";
    if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
    p.AddRaw(text);
    return;
  }
  const auto& topo = out.fabric.topology;
  // The node grid: OCS cube nodes are numbered cube-major, so cubes stack along the last axis.
  out.torus_dims = topo.kind == fabric::TopologyKind::kOcsCubes ? topo.cube_dims : topo.dims;
  if (topo.kind == fabric::TopologyKind::kOcsCubes) {
    while (out.torus_dims.size() < 3) out.torus_dims.push_back(1);
    out.torus_dims.back() *= topo.num_cubes;
  }
  // (A chip_pattern fills the torus; with a bad pattern there are no chips to count.)
  const bool pattern_failed = c.has_chip_pattern() && out.node_sku.empty();
  if (out.fabric.num_nodes != out.node_sku.size() && !pattern_failed)
    p.Add("fabric.torus.dims", JoinDims(dims) + " (" + std::to_string(out.fabric.num_nodes) + " nodes)",
          std::string(topo.kind == fabric::TopologyKind::kOcsCubes
                          ? "expected cubes x nodes per cube to equal the number of chips ("
                          : "expected the product to equal the number of chips (") +
              std::to_string(out.node_sku.size()) + ")");
  out.header_bytes = out.fabric.network.header_bytes;
}

RunOptions Convert(const pb::Config& in, const std::string& name) {
  Problems p(name);
  RunOptions out;
  out.config_path = name;
  pb::Config c = in;
  // A Hugging Face config.json fills the model fields the config leaves at 0.
  if (!c.model().hf_config().empty()) {
    try {
      ApplyHfConfig(config_detail::RelativeToConfig(name, c.model().hf_config()), *c.mutable_model(), &out.notes);
    } catch (const ConfigError& e) {
      p.AddRaw(std::string("model.hf_config: ") + e.what());
    }
  }
  // Enum numbers the schema does not define are refused before anything reads them.
  CheckEnumValues(c, p);
  p.ThrowIfAny();
  // Presence is checked on the config as written; the conversion reads a copy filled with the
  // schema's defaults (configs/moefab.proto, the one place a default is written).
  if (!c.has_model()) p.Add("model", "(missing)", "expected a model section");
  if (!c.has_workload()) p.Add("workload", "(missing)", "expected a workload section");
  const bool has_torus = c.has_fabric() && c.fabric().has_torus();
  if (!has_torus) p.Add("fabric.torus", "(missing)", "expected a torus with dims");
  if (c.skus_size() == 0) p.Add("skus", "(none)", "expected at least one chip kind");
  if (c.chips_size() == 0 && c.chip_groups_size() == 0 && !c.has_chip_pattern())
    p.Add("chips", "(none)", "expected one entry per torus node (chips, chip_groups or chip_pattern)");
  // A missing section is the one problem to report: its fields' range errors would bury it.
  p.ThrowIfAny();
  pb::Config d = c;
  ApplySchemaDefaults(d);
  if (c.routing().no_defaults()) {  // the generator's probabilities stay as written (0 if left out)
    d.mutable_routing()->set_repeat_prob(c.routing().repeat_prob());
    d.mutable_routing()->set_affinity_prob(c.routing().affinity_prob());
    d.mutable_routing()->set_preference_prob(c.routing().preference_prob());
  }
  ConvertModel(d.model(), p, out.model);
  ConvertSkus(d, p, out);
  ConvertChips(d, p, out);
  if (has_torus) ConvertFabric(d, p, out);
  config_detail::ConvertRest(d, p, out);
  if (p.empty()) config_detail::CheckDerived(d, p, out);
  if (p.empty()) config_detail::ConvertPlacement(d, p, out);
  p.ThrowIfAny();
  google::protobuf::TextFormat::Printer printer;
  printer.PrintToString(c, &out.config_echo);
  return out;
}

}  // namespace

RunOptions LoadConfigText(const std::string& text, const std::string& name) {
  return LoadConfigText(text, name, nullptr);
}

RunOptions LoadConfigText(const std::string& text, const std::string& name, const ConfigEdit& edit) {
  pb::Config config;
  ParseErrors errors(name);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    std::string all;
    for (const auto& l : errors.lines()) all += (all.empty() ? "" : "\n") + l;
    if (all.empty()) all = name + ": not a valid text-format moefab config";
    throw ConfigError(all + "\n(the schema is configs/moefab.proto)");
  }
  // An empty file (or one of comments only) is one problem, not one per missing section.
  if (config.ByteSizeLong() == 0)
    throw ConfigError(name + ": no settings found (an empty file?); expected a text-format moefab config "
                      "with model, skus, chips, fabric and workload sections (schema configs/moefab.proto)");
  if (edit) edit(config);
  return Convert(config, name);
}

std::string ReadConfigFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path + ": a folder; expected a config file (text-format protobuf, e.g. configs/tiny.textproto)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the config file (does it exist and is it readable?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunOptions LoadConfigFile(const std::string& path) {
  return LoadConfigText(ReadConfigFile(path), path);
}

}  // namespace moefab
