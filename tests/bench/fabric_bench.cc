// fabric_bench: simulation speed of the fabric model, in packet-hops (link traversals) per
// second of CPU time, on an 8x8 torus (50 GB/s, 64-byte flits, 4-flit packets, VCT, DOR with
// datelines, one flit time of wire and of router delay) under uniform Bernoulli injection
// below saturation (the channel-load bound is 1.0 flit/node/cycle).
//
// BM_Uniform8x8/<load %>: one iteration = 200k packets on a fresh network (construction
// included), run to idle. The figure of merit is BM_Uniform8x8/50.
// BM_Memory10M: 10 million packets at load 0.5 on one network; reports the resident set
// (VmRSS) and its peak (VmHWM) after 1M and after 10M packets, the event queue's peak, the
// packets held at 10M and after the drain. Flat memory: the 10M figures equal the 1M ones
// (no per-packet growth; the latency histograms grow with the largest latency only).
//
// Run: build-fabric/tests/bench/fabric_bench [--benchmark_filter=Uniform8x8/50]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "fabric/driver.h"
#include "fabric/traffic.h"

namespace moefab::fabric {
namespace {

// A field of /proc/self/status in MiB (VmRSS: resident now; VmHWM: peak resident).
double StatusMb(const char* field) {
  double kb = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    const std::size_t n = std::strlen(field);
    while (std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, field, n) == 0 && line[n] == ':') {
        kb = std::atof(line + n + 1);
        break;
      }
    }
    std::fclose(f);
  }
  return kb / 1024.0;
}

struct Run {
  std::unique_ptr<Network> net;
  std::unique_ptr<SequentialDriver> driver;
  std::vector<SplitMix64> rng;
  using Next = std::pair<Tick, NodeId>;
  std::vector<Next> next;  // min-heap of (next injection tick, node)
  Tick cycle = 0;
  double p = 0;  // packets per node per cycle
  double log_q = 0;

  explicit Run(double load) {
    TopologyOptions t;
    t.dims = {8, 8};
    t.link = {50000, 1280};
    NetworkOptions o;
    o.router_delay_ps = 1280;
    o.mtu_bytes = 240;
    o.watchdog_ps = 1'000'000'000;
    net = Network::Make(t, o);
    driver = std::make_unique<SequentialDriver>(*net);
    cycle = CyclePs(*net);
    p = load / net->PacketFlits(240);
    log_q = std::log1p(-p);
    for (NodeId n = 0; n < 64; ++n) {
      rng.emplace_back(MixSeed(7, n));
      next.push_back({Gap(rng.back()), n});
    }
    std::make_heap(next.begin(), next.end(), std::greater<>());
  }
  Tick Gap(SplitMix64& r) const {
    const double u = 1.0 - r.UniformDouble();
    return (1 + static_cast<Tick>(std::floor(std::log(u) / log_q))) * cycle;
  }
  // Injects `packets` more packets (the earliest pending injection first), then returns.
  void Inject(std::uint64_t packets) {
    for (std::uint64_t i = 0; i < packets; ++i) {
      std::pop_heap(next.begin(), next.end(), std::greater<>());
      auto& [at, src] = next.back();
      driver->RunUntil(at);
      driver->Inject({src, static_cast<NodeId>(rng[src].Next() % 64), 240, 0, nullptr});
      at += Gap(rng[src]);
      std::push_heap(next.begin(), next.end(), std::greater<>());
    }
  }
};

void BM_Uniform8x8(benchmark::State& state) {
  const double load = static_cast<double>(state.range(0)) / 100.0;
  std::uint64_t hops = 0, events = 0, packets = 0;
  for (auto _ : state) {
    Run run(load);
    run.Inject(200'000);
    run.driver->RunToIdle();
    hops += run.net->TotalStats().packet_hops;
    events += run.driver->events_handled();
    packets += run.net->TotalStats().packets_delivered;
  }
  state.counters["packet_hops/s"] = benchmark::Counter(static_cast<double>(hops), benchmark::Counter::kIsRate);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events/hop"] = static_cast<double>(events) / static_cast<double>(hops);
  state.counters["hops/packet"] = static_cast<double>(hops) / static_cast<double>(packets);
}
BENCHMARK(BM_Uniform8x8)->Arg(30)->Arg(50)->Arg(60)->Arg(80)->Unit(benchmark::kMillisecond);

void BM_Memory10M(benchmark::State& state) {
  for (auto _ : state) {
    Run run(0.5);
    run.Inject(1'000'000);
    const double rss_1m = StatusMb("VmRSS");
    const double hwm_1m = StatusMb("VmHWM");
    run.Inject(9'000'000);
    const double rss_10m = StatusMb("VmRSS");
    const double hwm_10m = StatusMb("VmHWM");
    const std::uint64_t held_at_10m = run.net->PacketsHeld();
    run.driver->RunToIdle();
    const NodeStats s = run.net->TotalStats();
    state.counters["rss_mb_1M"] = rss_1m;
    state.counters["rss_mb_10M"] = rss_10m;
    state.counters["hwm_mb_1M"] = hwm_1m;
    state.counters["hwm_mb_10M"] = hwm_10m;
    state.counters["peak_events_queued"] = static_cast<double>(run.driver->peak_events_pending());
    state.counters["held_at_10M"] = static_cast<double>(held_at_10m);
    state.counters["held_at_end"] = static_cast<double>(run.net->PacketsHeld());
    state.counters["delivered"] = static_cast<double>(s.packets_delivered);
    state.counters["packet_hops/s"] =
        benchmark::Counter(static_cast<double>(s.packet_hops), benchmark::Counter::kIsRate);
  }
}
BENCHMARK(BM_Memory10M)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace moefab::fabric

BENCHMARK_MAIN();
