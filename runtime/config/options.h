// Plain, validated run options: what the config loader produces from the protobuf message,
// with units resolved. Nothing below runtime/ sees protobuf. Every value comes from the loader,
// which takes defaults from configs/moefab.proto (the one place a default is written): the
// members below are zero-initialised, never given a default that could drift from the schema.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chips/expert_engine.h"
#include "core/types.h"
#include "router/placement.h"
#include "router/replica_choice.h"
#include "router/routing_trace.h"
#include "router/rules.h"
#include "runtime/config/fabric_options.h"

namespace moefab {

enum class ChipKind { kAttention, kExpert };
enum class AttentionBatching { kFifo, kContinuous };
enum class Fidelity { kRtl, kSampled, kAnalytic };
enum class RankMapping { kBlock, kRoundRobin };

struct ModelOptions {
  std::string name;             // free text
  uint32_t num_layers = 0;      // MoE layers
  uint32_t d_model = 0;         // hidden size (elements)
  uint32_t expert_width = 0;    // per-expert FFN width (elements)
  uint32_t num_experts = 0;     // routed experts per layer
  uint32_t top_k = 0;           // experts per token per layer
  uint64_t weight_seed = 0;     // seed of synthetic expert and gate weights
  double gate_logit_scale = 0;  // real value of one gate-logit LSB (at dispatch exponent 0)
  chips::WeightFormat format = chips::WeightFormat::kInt4;
  chips::Activation activation = chips::Activation::kSwiGlu;
  std::string safetensors;  // weight file; empty = synthetic from weight_seed
  enum class Layout { kNone, kFloatNamed, kGptOssMxfp4 } layout = Layout::kNone;
  std::string tensor_prefix;              // prepended to tensor names
  router::RouterParams router;            // rule, k, groups, scaling (selection bias: none for synthetic)
  uint32_t num_shared_experts = 0;        // always selected, weight 1; expert ids E .. E+S-1
  uint32_t num_dense_layers = 0;          // dense-FFN layers (run on the attention chips; timing only)
  uint32_t dense_ffn_width = 0;           // their FFN width (elements)
  uint32_t num_heads = 0;                 // attention query heads (attention timing model)
  uint32_t num_kv_heads = 0;              // key/value heads
  uint32_t head_dim = 0;                  // elements per head
  uint64_t kv_bytes_per_token_layer = 0;  // KV cache bytes per context token per layer
  uint32_t kv_lora_rank = 0;              // MLA latent KV dimension; 0 = not MLA
  uint32_t q_lora_rank = 0;               // MLA query compression rank; 0 = none
  uint32_t qk_rope_head_dim = 0;          // MLA rotary part of head_dim
  uint32_t v_head_dim = 0;                // MLA value head dimension
  [[nodiscard]] uint32_t experts_per_layer() const { return num_experts + num_shared_experts; }
};

struct SkuOptions {
  std::string name;  // unique SKU name
  ChipKind kind = ChipKind::kExpert;
  ClockDomain clock;                                           // chip clock (period in ps)
  uint32_t mac_lanes = 0;                                      // expert: MAC lanes per matrix
  uint64_t weight_capacity_bits = 0;                           // expert: 0 = unlimited
  Tick attention_ps = 0;                                       // attention: per token per layer
  Tick gate_ps = 0;                                            // attention: gate + top-k per token per layer
  Tick combine_ps = 0;                                         // attention: combine + residual per token per layer
  chips::Datapath datapath = chips::Datapath::kMac;            // expert
  chips::WeightStyle weight_style = chips::WeightStyle::kRom;  // expert
  bool memory_weights = false;  // expert: weights in memory (weight_style HBM: memory_expert_chip.h)
  uint32_t ingress_queue_jobs = 0;                             // expert: jobs queued at the chip; 0 = unlimited
  uint32_t egress_buffer_results = 0;                          // expert: result buffers; 0 = unlimited
  uint64_t egress_bandwidth_mbytes_per_s = 0;                  // expert: result egress port (MB/s)
  double transistors_per_mm2 = 0;                              // area model density (per mm^2)
  double compute_tflops = 0;       // attention: dense compute (TFLOP/s); 0 = fixed attention_ps
  double memory_gbytes_per_s = 0;  // attention: KV-cache memory bandwidth (GB/s)
  AttentionBatching batching = AttentionBatching::kFifo;  // attention: how the core takes tokens
  uint32_t max_batch_tokens = 0;                          // attention continuous, expert HBM: tokens per batch
  Tick max_batch_wait_ps = 0;                             // the same: longest wait to fill a batch
  double static_power_w = 0;       // static power of one chip (W)
  bool has_format = false;         // expert: weight_format set for this SKU
  chips::WeightFormat format = chips::WeightFormat::kInt4;  // expert: its experts' format
  double memory_bits_per_weight = 0;  // expert HBM: bits per stored weight; 0 = the format's
};

enum class Arrival { kClosedLoop, kPoisson };
enum class Overflow { kDrop };
enum class RoutingSource { kGate, kSynthetic, kTrace };

struct WorkloadOptions {
  uint32_t num_tokens = 0;   // decode tokens, each through all layers
  uint32_t concurrency = 0;  // closed loop: tokens in flight at once (whole cluster)
  uint64_t input_seed = 0;   // seed of the input hidden states (and of Poisson arrivals)
  Arrival arrival = Arrival::kClosedLoop;
  double rate_tokens_per_s = 0;        // Poisson: mean arrival rate (tokens per simulated second)
  uint32_t context_length = 0;         // context tokens per decode step (attention timing)
  uint32_t context_length_spread = 0;  // per token uniformly in [length - spread, length + spread]
  double capacity_factor = 0;          // jobs per expert per layer per window <= ceil(f * W * k / E); 0 = off
  Overflow overflow = Overflow::kDrop;
  uint32_t capacity_window_tokens = 0;  // W: consecutive tokens of one home chip per window
};

struct RoutingOptions {
  RoutingSource source = RoutingSource::kGate;
  std::string trace;                         // TRACE: file read
  std::string write_trace;                   // any source: write the routing used here ("" = no)
  router::SyntheticRoutingParams synthetic;  // SYNTHETIC: generator parameters
};

enum class PlacementStrategy { kRoundRobin, kExplicit, kLayerBlocked, kLoadBalanced, kTopologyAware, kFile };

/// How experts are placed (ClusterPlan computes the placement from this).
struct PlacementOptions {
  PlacementStrategy strategy = PlacementStrategy::kRoundRobin;
  router::Placement explicit_placement;   // EXPLICIT: the configured entries (validated)
  uint32_t extra_replicas_per_layer = 0;  // LOAD_BALANCED: slots per layer beyond one per expert
  uint32_t slots_per_chip = 0;            // LOAD_BALANCED / TOPOLOGY_AWARE: 0 = from weight capacity
  std::string file;                       // FILE: placement file (resolved against the config's folder)
  router::ReplicaPolicy replica_policy = router::ReplicaPolicy::kNearest;
};

enum class TransportKind { kAuto, kMpi, kUcx, kShm };
enum class SyncMode { kAuto, kWindows, kAsync };

/// Energy model parameters (pJ).
struct EnergyOptions {
  double mac_pj_int4 = 0;
  double mac_pj_int3 = 0;
  double mac_pj_mxfp4 = 0;
  double link_pj_per_bit_hop = 0;
  double attention_pj_per_flop = 0;
};

struct ReportOptions {
  bool csv = false;               // tokens/links/chips/experts.csv
  bool html = false;              // report.html
  bool trace = false;             // trace.json (Chrome/Perfetto)
  uint32_t trace_max_tokens = 0;  // tokens whose jobs are traced
};

struct RunOptions {
  std::string config_path;  // file the config came from ("<embedded>" for the default)
  std::string config_echo;  // normalised text of the parsed config, echoed in results.json
  std::vector<std::string> notes;  // what the loader filled in or approximated (HF import), one line each
  ModelOptions model;
  std::vector<SkuOptions> skus;
  std::vector<uint32_t> node_sku;    // per torus node: index into skus
  std::vector<uint32_t> torus_dims;  // node grid per axis (OCS cubes: kx, ky, kz * cubes)
  FabricModelOptions fabric;         // the network model (topology, flow control, buffers)
  uint32_t header_bytes = 0;         // per packet
  PlacementOptions placement;        // strategy, replicas, replica policy
  WorkloadOptions workload;
  RoutingOptions routing;
  EnergyOptions energy;
  bool timing_only = false;  // no weights and no hidden states: ANALYTIC with a
                             // SYNTHETIC or TRACE routing source and no weight file
  Fidelity fidelity = Fidelity::kRtl;
  RankMapping rank_mapping = RankMapping::kBlock;
  bool golden_check = false;                      // compare every token with the golden model
  uint32_t progress_seconds = 0;                  // wall-clock interval of rank 0's progress lines
  uint32_t sample_every = 0;                      // SAMPLED: every Nth job of a chip also in RTL
  uint32_t quant_error_samples = 0;               // float-reference inputs per measured expert
  std::string build_cache;                        // on-demand Verilator builds ("" = default)
  uint64_t memory_budget_mbytes = 0;              // refuse a run whose estimated memory exceeds this
  uint32_t peer_timeout_seconds = 0;              // end the job when a peer is silent this long
  bool early_events = false;                      // windows: slack nodes run while the exchange is in flight
  Tick checkpoint_every_ps = 0;                   // simulated time between checkpoints (0: none)
  std::string checkpoint_dir;                     // where they go (the run command: <out>/checkpoint)
  bool resume = false;                            // start from the checkpoint in checkpoint_dir
  ReportOptions report;                           // extra outputs
  TransportKind transport = TransportKind::kMpi;  // cross-rank exchange
  SyncMode sync = SyncMode::kAuto;                // global windows or per-rank clocks

  [[nodiscard]] const SkuOptions& SkuOf(NodeId node) const { return skus[node_sku[node]]; }
  [[nodiscard]] uint32_t num_nodes() const { return static_cast<uint32_t>(node_sku.size()); }
};

/// The weight format of the experts an expert chip kind holds (its own, else the model's).
inline chips::WeightFormat ExpertFormatOf(const ModelOptions& m, const SkuOptions& sku) {
  return sku.has_format ? sku.format : m.format;
}

/// Weight bits of one expert slot: gate, up and down matrices (MXFP4 counts its shared
/// exponents: 4.25 bits per weight).
inline uint64_t ExpertWeightBits(const ModelOptions& m, chips::WeightFormat f) {
  return static_cast<uint64_t>(std::ceil(3.0 * m.d_model * m.expert_width * chips::WeightBitsPerElement(f)));
}

/// Weight bits of one expert slot on a chip of this kind: in its format, or for an HBM chip
/// with memory_bits_per_weight set, at that many bits per weight (e.g. FP8).
inline uint64_t SlotWeightBits(const ModelOptions& m, const SkuOptions& sku) {
  if (sku.memory_weights && sku.memory_bits_per_weight > 0)
    return static_cast<uint64_t>(std::ceil(3.0 * m.d_model * m.expert_width * sku.memory_bits_per_weight));
  return ExpertWeightBits(m, ExpertFormatOf(m, sku));
}

/// Energy of one MAC in format `f` (pJ).
inline double MacPj(const EnergyOptions& e, chips::WeightFormat f) {
  return f == chips::WeightFormat::kInt3    ? e.mac_pj_int3
         : f == chips::WeightFormat::kMxfp4 ? e.mac_pj_mxfp4
                                            : e.mac_pj_int4;
}

/// The schema's names: "ROUND_ROBIN", "EXPLICIT", ...
const char* PlacementStrategyName(PlacementStrategy s);
/// "auto", "mpi", "ucx" or "shm" (as in configs and on the command line).
const char* TransportName(TransportKind t);

/// "gate", "synthetic" or "trace".
inline const char* RoutingSourceName(RoutingSource s) {
  return s == RoutingSource::kGate ? "gate" : s == RoutingSource::kSynthetic ? "synthetic" : "trace";
}

/// The engine configuration of an expert chip kind for a model.
inline chips::EngineConfig EngineConfigOf(const ModelOptions& m, const SkuOptions& sku) {
  chips::EngineConfig c;
  c.shape = chips::ExpertShape{m.d_model, m.expert_width};
  c.format = ExpertFormatOf(m, sku);
  c.lanes = sku.mac_lanes;
  c.datapath = sku.datapath;
  c.style = sku.weight_style;
  return c;
}

}  // namespace moefab
