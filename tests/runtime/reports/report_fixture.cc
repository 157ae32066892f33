// Test runs for the report writers (see report_fixture.h).
#include "tests/runtime/reports/report_fixture.h"

#include <algorithm>
#include <cmath>

#include "core/rng.h"
#include "runtime/reports/trace_writer.h"

namespace moefab::testing_reports {

namespace {
TokenRecord Token(uint32_t id, NodeId home, Tick start_ps, TokenBreakdown b) {
  TokenRecord t;
  t.id = id;
  t.home = home;
  t.start_ps = start_ps;
  t.end_ps = start_ps + b.attention_ps + b.gate_ps + b.expert_phase_ps + b.combine_ps + b.core_queue_ps;
  t.breakdown = b;
  return t;
}

void CommonOptions(RunOptions& o) {
  o.config_path = "tests/reports/fixture.textproto";
  o.model.name = "tiny-moe";
  o.model.d_model = 64;
  o.model.expert_width = 128;
  o.model.top_k = 2;
  SkuOptions attn;
  attn.name = "attn-a1";
  attn.kind = ChipKind::kAttention;
  attn.clock.period_ps = 1000;
  SkuOptions exp;
  exp.name = "exp-e1";
  exp.kind = ChipKind::kExpert;
  exp.clock.period_ps = 1250;
  exp.mac_lanes = 16;
  o.skus = {attn, exp};
  o.fabric.topology.link.bandwidth_mbytes_per_s = 50000;
  o.fabric.topology.link.latency_ps = 5000;
  o.fabric.network.router_delay_ps = 2000;
  o.fidelity = Fidelity::kRtl;
}
}  // namespace

RunFixture SmallRun() {
  RunFixture f;
  RunOptions& o = f.options;
  CommonOptions(o);
  o.model.num_layers = 2;
  o.model.num_experts = 4;
  o.node_sku = {0, 1, 1, 1};
  o.torus_dims = {2, 2};
  o.workload.num_tokens = 4;
  o.workload.concurrency = 2;
  // Latencies 1000, 1250, 1500, 2000 ns; first start 0, last end 2300 ns.
  f.merged.tokens = {
      Token(0, 0, 0, {200000, 100000, 600000, 50000, 50000}),
      Token(1, 0, 100000, {200000, 100000, 800000, 50000, 100000}),
      Token(2, 0, 200000, {200000, 100000, 1000000, 50000, 150000}),
      Token(3, 0, 300000, {200000, 100000, 1400000, 50000, 250000}),
  };
  // index = node * 4 + port on a 2-D torus.
  f.merged.links = {
      LinkRecord{0, 0, 1, 0, 4096, 4, 1150000, 3, 17, 0},  // 0 +x -> 1, 50%
      LinkRecord{6, 1, 3, 2, 1024, 1, 230000, 0},          // 1 +y -> 3, 10%
      LinkRecord{13, 3, 2, 1, 0, 0, 0, 0},                 // 3 -x -> 2, idle
  };
  f.merged.chips = {
      ChipRecord{0, 0, 460000, 0, 0, 0, 0},         // attention, busy 20%
      ChipRecord{1, 1, 1150000, 5, 2, 2300000, 3},  // busy 50%, 1 active slot on average
      ChipRecord{2, 1, 690000, 4, 2, 690000, 1},    // busy 30%
      ChipRecord{3, 1, 0, 0, 2, 0, 0},              // idle
  };
  f.merged.expert_jobs = {3, 1, 0, 4, 2, 2, 2, 2};
  f.merged.job_totals.jobs = 16;
  f.merged.job_totals.dispatch_network_ps = 16 * 40000;
  f.merged.job_totals.ingress_wait_ps = 16 * 10000;
  f.merged.job_totals.compute_ps = 16 * 150000;
  f.merged.job_totals.return_network_ps = 16 * 40000;
  f.merged.events = 1234;
  f.golden = GoldenCheck{true, true, 4, 0, -1};
  f.quant = QuantErrorSummary{2, 64, 0.9912, 0.9954, 0.031, 0.0042};
  f.host.wall_seconds = 1.5;
  f.host.simulate_wall_seconds = 0.25;
  f.trace = {
      TraceEvent{"L0 E1", "expert", "chip 1 slot 0", 150000, 123456, {{"layer", "0"}}},
      TraceEvent{"L0 E3", "expert", "chip 10 slot 1", 2000000, 1000, {}},
      TraceEvent{"token 0", "token", "token 0", 0, 1000000, {{"home", "0"}, {"q", "a\"b"}}},
  };
  return f;
}

RunFixture SyntheticRun(std::vector<uint32_t> dims, uint32_t tokens, uint32_t layers, uint32_t experts, uint64_t seed) {
  RunFixture f;
  RunOptions& o = f.options;
  CommonOptions(o);
  o.model.name = "synthetic-moe";
  o.model.num_layers = layers;
  o.model.num_experts = experts;
  o.model.num_shared_experts = 1;
  o.torus_dims = dims;
  const fabric::Torus torus = fabric::Torus::Make(dims);
  const uint32_t nodes = torus.num_nodes();
  for (NodeId n = 0; n < nodes; ++n) o.node_sku.push_back(n % 4 == 0 ? 0 : 1);
  o.workload.num_tokens = tokens;
  o.workload.concurrency = 16;
  SplitMix64 rng(seed);
  auto uniform = [&rng] { return rng.UniformDouble(); };
  // Closed loop of 16: a token starts when one of the 16 before it has finished.
  std::vector<Tick> free_at(16, 0);
  std::vector<NodeId> homes;
  for (NodeId n = 0; n < nodes; n += 4) homes.push_back(n);
  for (uint32_t i = 0; i < tokens; ++i) {
    auto it = std::min_element(free_at.begin(), free_at.end());
    const double tail = -std::log(1 - uniform());  // exponential tail on the expert phase
    TokenBreakdown b{layers * 20000ULL, layers * 8000ULL, static_cast<Tick>(layers * (60000 + 40000 * tail)),
                     layers * 6000ULL, static_cast<Tick>(30000 * uniform())};
    f.merged.tokens.push_back(Token(i, homes[i % homes.size()], *it, b));
    *it = f.merged.tokens.back().end_ps;
  }
  const LatencySummary s = Summarise(f.merged);
  const double span_ps = static_cast<double>(s.makespan_ps);
  for (NodeId n = 0; n < nodes; ++n) {
    for (fabric::PortId p = 0; p < torus.num_ports(); ++p) {
      if (!torus.HasLink(n, p)) continue;
      const double u = (n % 4 == 0 ? 0.6 : 0.15) * uniform() + (p == 0 ? 0.2 : 0.0);
      const uint64_t packets = u > 0.05 ? static_cast<uint64_t>(u * 1000) : 0;
      f.merged.links.push_back(LinkRecord{torus.LinkIndex(n, p), n, torus.Neighbor(n, p), p, packets * 256, packets,
                                          packets ? static_cast<Tick>(u * span_ps) : 0,
                                          static_cast<uint32_t>(uniform() * 8), static_cast<uint32_t>(uniform() * 64),
                                          0});
    }
    const bool attention = n % 4 == 0;
    f.merged.chips.push_back(ChipRecord{n, attention ? 0u : 1u,
                                        static_cast<Tick>((attention ? 0.7 : 0.3 * uniform() + 0.1) * span_ps),
                                        attention ? 0 : rng.Next() % 500, attention ? 0u : 4u,
                                        attention ? 0 : static_cast<Tick>(uniform() * 2 * span_ps), rng.Next() % 16});
  }
  const uint32_t per_layer = o.model.experts_per_layer();
  for (uint32_t l = 0; l < layers; ++l) {
    for (uint32_t e = 0; e < per_layer; ++e) {
      const uint64_t jobs =
          e == experts ? tokens  // the shared expert sees every token
                       : static_cast<uint64_t>(tokens * 2.0 / experts * (0.3 + 1.4 * uniform() * (e % 5 == 0 ? 2 : 1)));
      f.merged.expert_jobs.push_back(jobs);
      f.merged.job_totals.jobs += jobs;
    }
  }
  JobTotals& jt = f.merged.job_totals;
  jt.dispatch_network_ps = jt.jobs * 21000;
  jt.blocked_ps = jt.jobs * 2000;
  jt.ingress_wait_ps = jt.jobs * 9000;
  jt.compute_ps = jt.jobs * 38000;
  jt.egress_wait_ps = jt.jobs * 3000;
  jt.return_network_ps = jt.jobs * 20000;
  f.merged.events = 1000000 + tokens * 977ULL;
  f.merged.rtl_cycles_simulated = 12345678;
  f.golden = GoldenCheck{true, true, tokens, 0, -1};
  f.quant = QuantErrorSummary{4, 64, 0.9931, 0.9968, 0.047, 0.0051};
  f.host.ranks = 2;
  f.host.wall_seconds = 12.5;
  f.host.simulate_wall_seconds = 9.75;
  f.trace = TokenTraceEvents(f.merged);
  return f;
}

}  // namespace moefab::testing_reports
