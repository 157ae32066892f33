#include "fabric/traffic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <queue>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "fabric/driver.h"
#include "fabric/serialization.h"

namespace moefab::fabric {

NodeId PatternDestination(const Topology& t, const TrafficOptions& traffic, NodeId src, SplitMix64& rng) {
  const std::uint32_t n = t.num_nodes();
  const bool coords = t.kind() != TopologyKind::kOcsCubes;
  const auto& dims = t.dims();
  auto from_coords = [&](const std::array<std::uint32_t, kMaxTorusDims>& c) {
    NodeId id = 0;
    for (std::size_t i = dims.size(); i-- > 0;) id = id * dims[i] + c[i];
    return id;
  };
  switch (traffic.pattern) {
    case TrafficPattern::kUniform:
      return static_cast<NodeId>(rng.Next() % n);
    case TrafficPattern::kHotspot:
      if (traffic.hotspot_node >= n) {
        throw ConfigError("traffic.hotspot_node=" + std::to_string(traffic.hotspot_node) + ": expected a node < " +
                          std::to_string(n));
      }
      if (rng.UniformDouble() < traffic.hotspot_fraction) return traffic.hotspot_node;
      return static_cast<NodeId>(rng.Next() % n);
    case TrafficPattern::kNearestNeighbor: {
      std::uint32_t present = 0;
      for (PortId p = 0; p < t.num_ports(); ++p) present += t.HasLink(src, p);
      if (present == 0) return src;
      std::uint32_t pick = static_cast<std::uint32_t>(rng.Next() % present);
      for (PortId p = 0; p < t.num_ports(); ++p) {
        if (t.HasLink(src, p) && pick-- == 0) return t.Out(src, p).dst;
      }
      return src;
    }
    case TrafficPattern::kTranspose: {
      bool ok = coords;
      for (std::size_t i = 0; ok && i < dims.size(); ++i) ok = dims[i] == dims[dims.size() - 1 - i];
      if (!ok) {
        throw ConfigError(
            "traffic.pattern=transpose: expected a torus or mesh with dims[i] == "
            "dims[D-1-i] (e.g. k x k)");
      }
      const auto c = t.Coord(src);
      std::array<std::uint32_t, kMaxTorusDims> r{};
      for (std::size_t i = 0; i < dims.size(); ++i) r[i] = c[dims.size() - 1 - i];
      return from_coords(r);
    }
    case TrafficPattern::kTornado: {
      if (!coords) throw ConfigError("traffic.pattern=tornado: expected a torus, mesh or twisted torus");
      auto c = t.Coord(src);
      for (std::size_t i = 0; i < dims.size(); ++i) c[i] = (c[i] + (dims[i] + 1) / 2 - 1) % dims[i];
      return from_coords(c);
    }
    case TrafficPattern::kBitComplement: {
      if (!coords) return n - 1 - src;
      auto c = t.Coord(src);
      for (std::size_t i = 0; i < dims.size(); ++i) c[i] = dims[i] - 1 - c[i];
      return from_coords(c);
    }
  }
  throw ConfigError("traffic.pattern=" + std::to_string(static_cast<int>(traffic.pattern)) +
                    ": expected a known pattern");
}

Tick CyclePs(const Network& network) {
  Tick best = kTickMax;
  for (std::uint32_t e = 0; e < network.num_epochs(); ++e) {
    best = std::min(best, SerializationPs(network.options().flit_bytes, network.topology(e).MinBandwidthMbytesPerS()));
  }
  return best;
}

namespace {

// RunLoad with the pattern's channel loads computed once per sweep (null: here).
LoadPoint RunLoadWith(const TopologyOptions& topology, const NetworkOptions& options, const TrafficOptions& traffic,
                      double offered, const ChannelLoads* pattern_loads) {
  auto net = Network::Make(topology, options);
  SequentialDriver driver(*net);
  const Topology& t = net->topology();
  const std::uint32_t n = t.num_nodes();
  const Tick cycle = CyclePs(*net);
  const std::uint32_t flits = net->PacketFlits(traffic.packet_payload_bytes);
  const double p = offered / flits;
  if (!(p > 0) || p > 1) {
    throw ConfigError("traffic offered load=" + std::to_string(offered) + ": expected > 0 and <= one packet (" +
                      std::to_string(flits) + " flits) per node per cycle");
  }
  const Tick warm_ps = traffic.warmup_cycles * cycle;
  const Tick end_ps = (traffic.warmup_cycles + traffic.measure_cycles) * cycle;
  const Tick limit_ps = end_ps + traffic.drain_cycles * cycle;

  std::vector<SplitMix64> rng;
  rng.reserve(n);
  for (NodeId i = 0; i < n; ++i) rng.emplace_back(MixSeed(traffic.seed, i, 0xFAB));
  const double log_q = p < 1 ? std::log1p(-p) : 0;
  auto gap = [&](SplitMix64& r) -> std::uint64_t {
    if (p >= 1) return 1;
    const double u = 1.0 - r.UniformDouble();  // (0, 1]
    return 1 + static_cast<std::uint64_t>(std::floor(std::log(u) / log_q));
  };
  using Next = std::pair<Tick, NodeId>;
  std::priority_queue<Next, std::vector<Next>, std::greater<>> inject;
  for (NodeId i = 0; i < n; ++i) inject.push({gap(rng[i]) * cycle, i});

  LoadPoint lp;
  lp.offered = offered;
  LatencyHistogram latency;
  std::uint64_t window_flits = 0;
  driver.OnDeliver([&](DeliveredMessage& m) {
    if (m.delivered_ps >= warm_ps && m.delivered_ps < end_ps) window_flits += flits;
    if (m.tag == 1) {
      ++lp.delivered_measured;
      latency.Add(m.delivered_ps - m.injected_ps);
    }
  });
  // Per link (src * ports + port): busy time and flits carried, at the window's two ends.
  const std::uint32_t ports = t.num_ports();
  struct Snapshot {
    std::vector<Tick> busy;
    std::vector<std::uint64_t> flits;
    bool taken = false;
  };
  Snapshot warm, end;
  auto snapshot = [&](Snapshot& into, Tick at) {
    driver.RunUntil(at);
    into.busy.assign(static_cast<std::size_t>(n) * ports, 0);
    into.flits.assign(static_cast<std::size_t>(n) * ports, 0);
    for (const LinkStats& l : net->LinkReport()) {
      into.busy[static_cast<std::size_t>(l.src) * ports + l.port] = l.busy_ps;
      into.flits[static_cast<std::size_t>(l.src) * ports + l.port] = l.flits;
    }
    into.taken = true;
  };
  while (!inject.empty()) {
    const auto [at, src] = inject.top();
    if (at >= limit_ps || (at >= end_ps && lp.delivered_measured == lp.measured_packets)) break;
    if (!warm.taken && at >= warm_ps) snapshot(warm, warm_ps);
    if (!end.taken && at >= end_ps) snapshot(end, end_ps);
    inject.pop();
    driver.RunUntil(at);
    MessageSpec m;
    m.src = src;
    m.dst = PatternDestination(t, traffic, src, rng[src]);
    m.bytes = traffic.packet_payload_bytes;
    m.tag = (at >= warm_ps && at < end_ps) ? 1 : 0;
    lp.measured_packets += m.tag;
    driver.Inject(m);
    inject.push({at + gap(rng[src]) * cycle, src});
  }
  if (!warm.taken) snapshot(warm, warm_ps);
  if (!end.taken) snapshot(end, end_ps);
  // Drain: stop injecting, run until the measured packets are in or the limit passes.
  while (lp.delivered_measured < lp.measured_packets && driver.events_pending() > 0 && driver.Now() < limit_ps) {
    driver.RunUntil(std::min(limit_ps, driver.Now() + 1000 * cycle));
  }
  lp.all_delivered = lp.delivered_measured == lp.measured_packets;
  const double window_cycles = static_cast<double>(traffic.measure_cycles);
  lp.mean_accepted = static_cast<double>(window_flits) / (static_cast<double>(n) * window_cycles);
  lp.mean_latency_cycles = latency.Mean() / static_cast<double>(cycle);
  lp.p99_latency_cycles = static_cast<double>(latency.Percentile(0.99)) / static_cast<double>(cycle);
  const double window_ps = static_cast<double>(traffic.measure_cycles * cycle);
  double sum = 0;
  std::size_t present = 0;
  for (NodeId a = 0; a < n; ++a) {
    for (PortId port = 0; port < ports; ++port) {
      if (!t.HasLink(a, port)) continue;
      const std::size_t i = static_cast<std::size_t>(a) * ports + port;
      const double u = static_cast<double>(end.busy[i] - warm.busy[i]) / window_ps;
      lp.max_link_utilisation = std::max(lp.max_link_utilisation, u);
      sum += u;
      ++present;
    }
  }
  lp.mean_link_utilisation = present == 0 ? 0 : sum / static_cast<double>(present);
  // Accepted throughput of the pattern, measured at its bottleneck channels (those of the
  // largest load per unit of capacity under the network's deterministic routes): the flits
  // they carried in the window per cycle, divided by their load per flit/node/cycle injected,
  // is the injection rate the pattern was served at. Below saturation it equals the offered
  // load; past saturation it cannot exceed the channel-load bound, whatever the other flows
  // (loopback traffic, flows that avoid the bottleneck) still deliver.
  const ChannelLoads loads = pattern_loads ? *pattern_loads : PatternChannelLoads(*net, traffic);
  double gamma = 0;
  for (std::size_t i = 0; i < loads.load.size(); ++i) {
    if (loads.capacity[i] > 0) gamma = std::max(gamma, loads.load[i] / loads.capacity[i]);
  }
  double served = 0;
  std::size_t bottlenecks = 0;
  for (std::size_t i = 0; gamma > 0 && i < loads.load.size(); ++i) {
    if (loads.capacity[i] <= 0 || loads.load[i] / loads.capacity[i] < gamma * (1 - 1e-9)) continue;
    served += static_cast<double>(end.flits[i] - warm.flits[i]) / window_cycles / loads.load[i];
    ++bottlenecks;
  }
  lp.accepted = bottlenecks == 0 ? lp.mean_accepted : std::min(offered, served / static_cast<double>(bottlenecks));
  lp.packet_hops = net->TotalStats().packet_hops;
  lp.events = driver.events_handled();
  return lp;
}

}  // namespace

LoadPoint RunLoad(const TopologyOptions& topology, const NetworkOptions& options, const TrafficOptions& traffic,
                  double offered) {
  return RunLoadWith(topology, options, traffic, offered, nullptr);
}

Saturation FindSaturation(const std::vector<LoadPoint>& points) {
  Saturation s;
  s.index = points.size();
  if (points.empty()) return s;
  std::size_t lowest = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].offered < points[lowest].offered) lowest = i;
    s.peak_accepted = std::max(s.peak_accepted, points[i].mean_accepted);
  }
  s.zero_load_latency_cycles = points[lowest].mean_latency_cycles;
  // The lowest offered load that saturates (the sweep's order need not be sorted).
  char why[160];
  for (std::size_t i = 0; i < points.size(); ++i) {
    const LoadPoint& p = points[i];
    if (s.index < points.size() && p.offered >= s.offered) continue;
    if (p.mean_accepted < 0.95 * p.offered) {
      std::snprintf(why, sizeof why, "accepted %.3f < 0.95 x offered", p.mean_accepted);
    } else if (!p.all_delivered) {
      std::snprintf(why, sizeof why, "measured packets not drained");
    } else if (p.mean_latency_cycles > 3 * s.zero_load_latency_cycles) {
      std::snprintf(why, sizeof why, "mean latency %.1f cycles > 3 x zero-load %.1f", p.mean_latency_cycles,
                    s.zero_load_latency_cycles);
    } else {
      continue;
    }
    s.index = i;
    s.offered = p.offered;
    s.accepted = p.mean_accepted;
    s.reason = why;
  }
  return s;
}

std::string Saturation::Text(double max_offered) const {
  char line[320];
  if (reason.empty()) {
    std::snprintf(line, sizeof line,
                  "no saturation up to offered %.3f; zero-load latency %.1f cycles; peak accepted %.3f "
                  "flits/node/cycle",
                  max_offered, zero_load_latency_cycles, peak_accepted);
  } else {
    std::snprintf(line, sizeof line,
                  "saturation at offered %.3f (%s); zero-load latency %.1f cycles; peak accepted %.3f "
                  "flits/node/cycle",
                  offered, reason.c_str(), zero_load_latency_cycles, peak_accepted);
  }
  return line;
}

SweepResult RunSweep(const TopologyOptions& topology, const NetworkOptions& options, const TrafficOptions& traffic,
                     const std::vector<double>& offered_loads, const std::function<void(const LoadPoint&)>& on_point) {
  SweepResult r;
  const ChannelLoads loads = PatternChannelLoads(*Network::Make(topology, options), traffic);
  for (double load : offered_loads) {
    r.points.push_back(RunLoadWith(topology, options, traffic, load, &loads));
    r.peak_accepted = std::max(r.peak_accepted, r.points.back().accepted);
    if (on_point) on_point(r.points.back());
  }
  r.saturation = FindSaturation(r.points);
  r.saturation_offered = r.saturation.offered;
  return r;
}

std::string SweepResult::Header() {
  char line[256];
  std::snprintf(line, sizeof line, "%9s %9s %12s %12s %9s %9s %8s %11s\n", "offered", "accepted", "mean_lat_cy",
                "p99_lat_cy", "max_util", "mean_util", "drained", "bottleneck");
  return line;
}

std::string SweepResult::Row(const LoadPoint& p) {
  char line[256];
  std::snprintf(line, sizeof line, "%9.3f %9.3f %12.1f %12.1f %9.3f %9.3f %8s %11.3f\n", p.offered, p.mean_accepted,
                p.mean_latency_cycles, p.p99_latency_cycles, p.max_link_utilisation, p.mean_link_utilisation,
                p.all_delivered ? "yes" : "no", p.accepted);
  return line;
}

std::string SweepResult::Table() const {
  std::string out = Header();
  double max_offered = 0;
  for (const LoadPoint& p : points) {
    out += Row(p);
    max_offered = std::max(max_offered, p.offered);
  }
  return out + saturation.Text(max_offered) + "\n";
}

AllToAllResult RunAllToAll(const TopologyOptions& topology, const NetworkOptions& options,
                           std::uint64_t bytes_per_pair) {
  auto net = Network::Make(topology, options);
  SequentialDriver driver(*net);
  const std::uint32_t n = net->num_nodes();
  AllToAllResult r;
  LatencyHistogram latency;
  driver.OnDeliver([&](DeliveredMessage& m) {
    ++r.messages;
    r.completion_ps = std::max(r.completion_ps, m.delivered_ps);
    latency.Add(m.delivered_ps - m.injected_ps);
  });
  for (NodeId i = 0; i < n; ++i) {
    for (std::uint32_t s = 1; s < n; ++s) driver.Inject({i, (i + s) % n, bytes_per_pair, 0, nullptr});
  }
  driver.RunToIdle();
  r.mean_message_latency_ps = latency.Mean();
  r.p99_message_latency_ps = latency.Percentile(0.99);
  r.reconfigurations = net->ReconfigReport();
  return r;
}

ChannelLoads PatternChannelLoads(const Network& network, const TrafficOptions& traffic) {
  const Topology& t = network.topology();
  const std::uint32_t n = t.num_nodes();
  const std::uint32_t ports = t.num_ports();
  if (traffic.pattern == TrafficPattern::kHotspot && traffic.hotspot_node >= n) {
    throw ConfigError("traffic.hotspot_node=" + std::to_string(traffic.hotspot_node) + ": expected a node < " +
                      std::to_string(n));
  }
  ChannelLoads c;
  c.load.assign(static_cast<std::size_t>(n) * ports, 0.0);
  c.capacity.assign(static_cast<std::size_t>(n) * ports, 0.0);
  auto add = [&](NodeId src, NodeId dst, double w) {
    NodeId at = src;
    for (std::uint32_t guard = 0; at != dst; ++guard) {
      MOEFAB_CHECK(guard <= n, "route from " << src << " to " << dst << " loops");
      const PortId p = network.RoutePort(at, dst, src);
      c.load[static_cast<std::size_t>(at) * ports + p] += w;
      at = t.Out(at, p).dst;
    }
  };
  SplitMix64 unused(0);
  for (NodeId s = 0; s < n; ++s) {
    switch (traffic.pattern) {
      case TrafficPattern::kUniform:
        for (NodeId d = 0; d < n; ++d) add(s, d, 1.0 / n);
        break;
      case TrafficPattern::kHotspot:
        for (NodeId d = 0; d < n; ++d) add(s, d, (1.0 - traffic.hotspot_fraction) / n);
        add(s, traffic.hotspot_node, traffic.hotspot_fraction);
        break;
      case TrafficPattern::kNearestNeighbor: {
        std::uint32_t present = 0;
        for (PortId p = 0; p < ports; ++p) present += t.HasLink(s, p);
        for (PortId p = 0; p < ports; ++p) {
          if (t.HasLink(s, p)) add(s, t.Out(s, p).dst, 1.0 / present);
        }
        break;
      }
      default:
        add(s, PatternDestination(t, traffic, s, unused), 1.0);
    }
  }
  const double min_bw = static_cast<double>(t.MinBandwidthMbytesPerS());
  for (NodeId a = 0; a < n; ++a) {
    for (PortId p = 0; p < ports; ++p) {
      const OutLink& l = t.Out(a, p);
      if (l.present)
        c.capacity[static_cast<std::size_t>(a) * ports + p] = static_cast<double>(l.bandwidth_mbytes_per_s) / min_bw;
    }
  }
  return c;
}

double ChannelLoadBound(const Network& network, const TrafficOptions& traffic) {
  const ChannelLoads c = PatternChannelLoads(network, traffic);
  double gamma = 0;
  for (std::size_t i = 0; i < c.load.size(); ++i) {
    if (c.capacity[i] > 0) gamma = std::max(gamma, c.load[i] / c.capacity[i]);
  }
  return gamma > 0 ? 1.0 / gamma : HUGE_VAL;
}

}  // namespace moefab::fabric
