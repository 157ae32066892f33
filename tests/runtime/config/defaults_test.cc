// One source of defaults: configs/moefab.proto's field options. These tests fail when a C++
// default and the schema's default differ, when a documented rule has no code (or code no
// document), and when an enum number outside the schema slips through.
#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "fabric/network.h"
#include "fabric/traffic.h"
#include "moefab.pb.h"
#include "router/routing_trace.h"
#include "runtime/config/config_loader.h"
#include "runtime/config/schema_defaults.h"

namespace moefab {
namespace {

// A config with only what the schema requires; everything else takes the schema's default.
constexpr const char* kMinimal = R"(
  model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 2 top_k: 1 }
  skus { name: "a" kind: ATTENTION } skus { name: "e" kind: EXPERT }
  fabric { torus { dims: [2] } }
  chips { sku: "a" } chips { sku: "e" }
  workload { num_tokens: 1 })";

double Number(const std::string& path) {
  const std::string text = SchemaDefaultValue(path);
  EXPECT_FALSE(text.empty()) << path << " has no default_value";
  return text.empty() ? -1 : std::stod(text);
}

TEST(DefaultsTest, EveryDefaultValueIsAValueOfItsField) {
  // ApplySchemaDefaults aborts on a default that does not parse; on an empty config it sets
  // every defaulted field it can reach.
  config::Config c;
  ApplySchemaDefaults(c);
  EXPECT_EQ(c.simulation().sample_every(), 16u);
  EXPECT_EQ(c.simulation().transport(), "auto");
  EXPECT_EQ(c.fabric().torus().kind(), config::TORUS);
  EXPECT_GT(FieldsWithDefaultValue().size(), 50u);
}

TEST(DefaultsTest, EveryDocumentedRuleIsAppliedAndEveryAppliedRuleIsDocumented) {
  auto schema = FieldsWithDefaultRule();
  auto applied = DefaultRulesApplied();
  std::sort(schema.begin(), schema.end());
  std::sort(applied.begin(), applied.end());
  EXPECT_EQ(schema, applied);
}

TEST(DefaultsTest, FieldsLeftOutTakeTheSchemasValues) {
  const RunOptions o = LoadConfigText(kMinimal, "minimal");
  const SkuOptions& a = o.skus[0];
  const SkuOptions& e = o.skus[1];
  const std::vector<std::pair<std::string, double>> cases = {
      {"Model.gate_logit_scale", o.model.gate_logit_scale},
      {"Model.num_groups", o.model.router.num_groups},
      {"Model.topk_groups", o.model.router.topk_groups},
      {"Model.routed_scaling", o.model.router.routed_scaling},
      {"Model.head_dim", o.model.head_dim},
      {"ChipSku.mac_lanes", e.mac_lanes},
      {"ChipSku.attention_ns", static_cast<double>(a.attention_ps) / 1000},
      {"ChipSku.gate_ns", static_cast<double>(a.gate_ps) / 1000},
      {"ChipSku.combine_ns", static_cast<double>(a.combine_ps) / 1000},
      {"ChipSku.ingress_queue_jobs", e.ingress_queue_jobs},
      {"ChipSku.egress_buffer_results", e.egress_buffer_results},
      {"ChipSku.egress_bandwidth_mbytes_per_s", static_cast<double>(e.egress_bandwidth_mbytes_per_s)},
      {"ChipSku.transistors_per_mm2", e.transistors_per_mm2},
      {"Fabric.router_delay_ps", static_cast<double>(o.fabric.network.router_delay_ps)},
      {"Fabric.link_latency_ps", static_cast<double>(o.fabric.topology.link.latency_ps)},
      {"Fabric.link_bandwidth_mbytes_per_s", static_cast<double>(o.fabric.topology.link.bandwidth_mbytes_per_s)},
      {"Fabric.header_bytes", o.fabric.network.header_bytes},
      {"Fabric.flit_bytes", o.fabric.network.flit_bytes},
      {"Fabric.mtu_bytes", o.fabric.network.mtu_bytes},
      {"Fabric.watchdog_ps", static_cast<double>(o.fabric.network.watchdog_ps)},
      {"Fabric.ocs_switch_ps", static_cast<double>(o.fabric.network.ocs_switch_ps)},
      {"FabricBench.packet_payload_bytes", o.fabric.traffic.packet_payload_bytes},
      {"FabricBench.warmup_cycles", static_cast<double>(o.fabric.traffic.warmup_cycles)},
      {"FabricBench.measure_cycles", static_cast<double>(o.fabric.traffic.measure_cycles)},
      {"FabricBench.all_to_all_bytes", static_cast<double>(o.fabric.all_to_all_bytes)},
      {"FabricBench.seed", static_cast<double>(o.fabric.traffic.seed)},
      {"Workload.concurrency", o.workload.concurrency},
      {"Workload.context_length", o.workload.context_length},
      {"Routing.repeat_prob", o.routing.synthetic.repeat_prob},
      {"Routing.affinity_prob", o.routing.synthetic.affinity_prob},
      {"Routing.preference_prob", o.routing.synthetic.preference_prob},
      {"Energy.mac_pj_int4", o.energy.mac_pj_int4},
      {"Energy.mac_pj_int3", o.energy.mac_pj_int3},
      {"Energy.mac_pj_mxfp4", o.energy.mac_pj_mxfp4},
      {"Energy.link_pj_per_bit_hop", o.energy.link_pj_per_bit_hop},
      {"Energy.attention_pj_per_flop", o.energy.attention_pj_per_flop},
      {"Report.trace_max_tokens", o.report.trace_max_tokens},
      {"Simulation.progress_seconds", o.progress_seconds},
      {"Simulation.sample_every", o.sample_every},
      {"Simulation.quant_error_samples", o.quant_error_samples},
  };
  for (const auto& [path, value] : cases) EXPECT_DOUBLE_EQ(value, Number(path)) << path;
  EXPECT_EQ(e.clock.period_ps, static_cast<Tick>(1e6 / Number("ChipSku.clock_mhz") + 0.5));
  // Enum defaults, by name.
  EXPECT_EQ(SchemaDefaultValue("Model.router"), "SOFTMAX_TOPK_RENORM");
  EXPECT_EQ(o.model.router.rule, router::Rule::kSoftmaxTopKRenorm);
  EXPECT_EQ(SchemaDefaultValue("Simulation.fidelity"), "RTL");
  EXPECT_EQ(o.fidelity, Fidelity::kRtl);
  EXPECT_EQ(SchemaDefaultValue("Placement.replica_policy"), "NEAREST");
  EXPECT_EQ(o.placement.replica_policy, router::ReplicaPolicy::kNearest);
  EXPECT_EQ(SchemaDefaultValue("Simulation.transport"), "auto");
  EXPECT_EQ(o.transport, TransportKind::kAuto);
  // Rules.
  EXPECT_EQ(o.workload.capacity_window_tokens, o.workload.concurrency);
  EXPECT_EQ(o.model.num_kv_heads, o.model.num_heads);
  EXPECT_EQ(o.model.dense_ffn_width, 4u * o.model.d_model);
}

// The layers below runtime/ keep defaults of their own for their tests and tools; they must
// be the schema's.
TEST(DefaultsTest, LowerLayerDefaultsAreTheSchemas) {
  const fabric::NetworkOptions n;
  const fabric::TopologyOptions t;
  const fabric::TrafficOptions traffic;
  const router::SyntheticRoutingParams r;
  const std::vector<std::pair<std::string, double>> cases = {
      {"Fabric.router_delay_ps", static_cast<double>(n.router_delay_ps)},
      {"Fabric.flit_bytes", n.flit_bytes},
      {"Fabric.header_bytes", n.header_bytes},
      {"Fabric.mtu_bytes", n.mtu_bytes},
      {"Fabric.watchdog_ps", static_cast<double>(n.watchdog_ps)},
      {"Fabric.ocs_switch_ps", static_cast<double>(n.ocs_switch_ps)},
      {"Fabric.link_latency_ps", static_cast<double>(t.link.latency_ps)},
      {"Fabric.link_bandwidth_mbytes_per_s", static_cast<double>(t.link.bandwidth_mbytes_per_s)},
      {"FabricBench.packet_payload_bytes", traffic.packet_payload_bytes},
      {"FabricBench.warmup_cycles", static_cast<double>(traffic.warmup_cycles)},
      {"FabricBench.measure_cycles", static_cast<double>(traffic.measure_cycles)},
      {"FabricBench.seed", static_cast<double>(traffic.seed)},
      {"Routing.repeat_prob", r.repeat_prob},
      {"Routing.affinity_prob", r.affinity_prob},
      {"Routing.preference_prob", r.preference_prob},
  };
  for (const auto& [path, value] : cases) EXPECT_DOUBLE_EQ(value, Number(path)) << path;
}

TEST(DefaultsTest, AnEnumNumberOutsideTheSchemaIsAConfigError) {
  for (const char* bad :
       {"simulation { fidelity: 9 }", "fabric { torus { dims: [2] kind: 7 } }", "placement { replica_policy: 42 }",
        "fabric { torus { dims: [2] } bench { patterns: [1, 99] } }"}) {
    std::string text = kMinimal;
    if (std::string(bad).rfind("fabric", 0) == 0) text.replace(text.find("fabric { torus { dims: [2] } }"), 30, "");
    text += bad;
    try {
      LoadConfigText(text, "enum.textproto");
      ADD_FAILURE() << bad << ": loaded";
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("enum.textproto: "), std::string::npos) << msg;
      EXPECT_NE(msg.find("expected one of"), std::string::npos) << msg;
    }
  }
}

// A field with a default, written out as 0, means 0 (or is refused by its range): proto3 would
// otherwise not tell it from a field left out, and the default would replace it in silence.
TEST(DefaultsTest, AZeroWrittenOutIsKeptNotDefaulted) {
  std::string text = kMinimal;
  text.replace(text.find("fabric { torus { dims: [2] } }"), 30,
               "fabric { torus { dims: [2] } header_bytes: 0 router_delay_ps: 0 bench { all_to_all_bytes: 0 "
               "warmup_cycles: 0 seed: 0 } }");
  text += " simulation { progress_seconds: 0 }";
  const RunOptions o = LoadConfigText(text, "zeros.textproto");
  EXPECT_EQ(o.fabric.network.header_bytes, 0u);
  EXPECT_EQ(o.fabric.network.router_delay_ps, 0u);
  EXPECT_EQ(o.fabric.all_to_all_bytes, 0u);
  EXPECT_EQ(o.fabric.traffic.warmup_cycles, 0u);
  EXPECT_EQ(o.fabric.traffic.seed, 0u);
  EXPECT_EQ(o.progress_seconds, 0u);
  // Left out, the same fields take the schema's defaults.
  const RunOptions d = LoadConfigText(kMinimal, "minimal");
  EXPECT_EQ(d.fabric.network.header_bytes, static_cast<uint32_t>(Number("Fabric.header_bytes")));
  EXPECT_EQ(d.fabric.all_to_all_bytes, static_cast<uint64_t>(Number("FabricBench.all_to_all_bytes")));
  // Written as 0 where 0 is outside the range: a config error, not the default.
  for (const char* bad : {"skus { name: \"x\" kind: EXPERT clock_mhz: 0 }", "simulation { sample_every: 0 }",
                          "simulation { peer_timeout_seconds: 0 }",
                          "skus { name: \"x\" kind: EXPERT egress_buffer_results: 0 }"}) {
    try {
      LoadConfigText(std::string(kMinimal) + bad, "zero.textproto");
      ADD_FAILURE() << bad << ": loaded";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("zero.textproto"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("=0"), std::string::npos) << e.what();
    }
  }
}

TEST(DefaultsTest, NoDefaultsKeepsTheGeneratorsProbabilitiesAtZero) {
  const RunOptions o = LoadConfigText(
      std::string(kMinimal) + "routing { source: SYNTHETIC no_defaults: true repeat_prob: 0.5 }", "nodefaults");
  EXPECT_EQ(o.routing.synthetic.repeat_prob, 0.5);
  EXPECT_EQ(o.routing.synthetic.affinity_prob, 0.0);
  EXPECT_EQ(o.routing.synthetic.preference_prob, 0.0);
}

}  // namespace
}  // namespace moefab
