// Synthetic traffic on a Network driven by the SequentialDriver: the patterns of Dally &
// Towles ch. 3 (uniform random, transpose, tornado, bit-complement, nearest neighbour,
// hotspot) with Bernoulli injection at an offered load, load sweeps with a saturation point,
// bulk all-to-all, and the channel-load throughput bound of a pattern under the network's
// routing. Loads are in flits per node per cycle, where a cycle is the time of one flit on the
// slowest link. Latency runs from Inject (packet creation, source queueing included) to
// delivery, as in BookSim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "fabric/network.h"

namespace moefab::fabric {

enum class TrafficPattern : std::uint8_t {
  kUniform = 0,          // any node, self included (as in the closed-form average hop count)
  kTranspose = 1,        // coordinates reversed: (x, y) -> (y, x); needs dims[i] == dims[D-1-i]
  kTornado = 2,          // each coordinate x -> (x + ceil(k/2) - 1) mod k
  kBitComplement = 3,    // each coordinate x -> k - 1 - x (node id complement when k = 2^b)
  kNearestNeighbor = 4,  // the far end of a random present port
  kHotspot = 5,          // hotspot_node with probability hotspot_fraction, else uniform
};

struct TrafficOptions {
  TrafficPattern pattern = TrafficPattern::kUniform;
  std::uint32_t packet_payload_bytes = 240;  // one packet per message: 240 + 16 = 4 flits of 64
  double hotspot_fraction = 0.1;             // kHotspot only
  NodeId hotspot_node = 0;                   // kHotspot only
  std::uint64_t seed = 1;                    // injection and destination streams
  std::uint64_t warmup_cycles = 2000;        // before measuring
  std::uint64_t measure_cycles = 4000;       // packets created here are measured
  std::uint64_t drain_cycles = 20000;        // after measuring, wait this long at most for them
};

/// Destination of a packet from `src` (rng used by the random patterns). Throws ConfigError
/// if the pattern does not fit the topology.
NodeId PatternDestination(const Topology& topology, const TrafficOptions& traffic, NodeId src, SplitMix64& rng);

struct LoadPoint {
  double offered = 0;              // flits / node / cycle
  double accepted = 0;             // accepted throughput of the pattern, flits / node / cycle:
                                   // the injection rate its bottleneck channels served in the
                                   // window (see ChannelLoads); = offered below saturation,
                                   // <= the channel-load bound past it
  double mean_accepted = 0;        // flits delivered in the window / node / cycle, over all
                                   // nodes: past saturation it also counts loopback traffic
                                   // and flows that avoid the bottleneck, so for transpose or
                                   // hotspot it can exceed the channel-load bound
  double mean_latency_cycles = 0;  // measured packets
  double p99_latency_cycles = 0;
  double max_link_utilisation = 0;   // busy fraction of the busiest link in the window
  double mean_link_utilisation = 0;  // over present links
  std::uint64_t measured_packets = 0;
  std::uint64_t delivered_measured = 0;
  bool all_delivered = false;     // every measured packet arrived before the drain limit
  std::uint64_t packet_hops = 0;  // whole run
  std::uint64_t events = 0;       // whole run
};

/// One cycle of `network`: a flit on its slowest link, ps.
Tick CyclePs(const Network& network);

/// Runs one offered load on a fresh network built from the options.
LoadPoint RunLoad(const TopologyOptions& topology, const NetworkOptions& options, const TrafficOptions& traffic,
                  double offered);

/// The textbook saturation of a load sweep (Dally & Towles ch. 23): accepted throughput is the
/// flits delivered per node per cycle (LoadPoint::mean_accepted); the sweep saturates at the
/// lowest offered load where accepted stops tracking offered (below 0.95 x offered, or its
/// measured packets do not drain) or the mean latency passes 3x the zero-load latency (taken
/// as the mean latency at the lowest offered load of the sweep).
struct Saturation {
  double zero_load_latency_cycles = 0;  // mean latency at the lowest offered load
  std::size_t index = 0;                // the saturating point; == points.size() if none
  double offered = 0;                   // its offered load; 0 if none saturated
  double accepted = 0;                  // its accepted throughput (delivered flits/node/cycle)
  std::string reason;                   // why ("accepted 0.331 < 0.95 x offered", ...); "" if none
  double peak_accepted = 0;             // largest accepted throughput of the sweep
  /// One line: "saturation at offered 0.400 (accepted 0.331 < 0.95 x offered); zero-load
  /// latency 31.3 cycles; peak accepted 0.333 flits/node/cycle", or "no saturation up to
  /// offered 0.800 (...)".
  std::string Text(double max_offered) const;
};

/// The saturation of `points` (in the order swept; the loads need not be sorted).
Saturation FindSaturation(const std::vector<LoadPoint>& points);

struct SweepResult {
  std::vector<LoadPoint> points;
  Saturation saturation;          // textbook definitions (FindSaturation)
  double saturation_offered = 0;  // = saturation.offered: 0 if none saturated
  double peak_accepted = 0;       // largest throughput served at the pattern's bottleneck
                                  // channels (LoadPoint::accepted), <= the channel-load bound
  /// One row per point (accepted = delivered flits/node/cycle), then the saturation line.
  std::string Table() const;
  static std::string Header();                   // the table's column names
  static std::string Row(const LoadPoint& p);    // one row of the table
};

/// Runs each offered load in turn; `on_point` (if set) sees each point as soon as it is done.
SweepResult RunSweep(const TopologyOptions& topology, const NetworkOptions& options, const TrafficOptions& traffic,
                     const std::vector<double>& loads,
                     const std::function<void(const LoadPoint&)>& on_point = nullptr);

struct AllToAllResult {
  Tick completion_ps = 0;      // last delivery
  std::uint64_t messages = 0;  // delivered
  double mean_message_latency_ps = 0;
  Tick p99_message_latency_ps = 0;
  std::vector<ReconfigStats> reconfigurations;
};

/// Every node sends `bytes_per_pair` to every other node, all injected at tick 0 (node i sends
/// to i+1, i+2, ... in that order). Runs to completion.
AllToAllResult RunAllToAll(const TopologyOptions& topology, const NetworkOptions& options,
                           std::uint64_t bytes_per_pair);

/// Load of a pattern on every link (index node * ports + port) per flit/node/cycle injected,
/// following the network's deterministic route (DOR, or the lowest productive port under
/// tables) in epoch 0, and each link's capacity in flits per cycle (0: no link). Traffic a
/// node sends to itself loads no link.
struct ChannelLoads {
  std::vector<double> load;
  std::vector<double> capacity;
};
ChannelLoads PatternChannelLoads(const Network& network, const TrafficOptions& traffic);

/// Channel-load bound: 1 / (largest load on any link per flit/node/cycle injected), with each
/// link's capacity in flits per cycle (PatternChannelLoads). Uniform on an even k-ary n-cube
/// torus: 8 / k. Hotspot: the hotspot's most loaded incoming link (ejection is unbounded).
double ChannelLoadBound(const Network& network, const TrafficOptions& traffic);

}  // namespace moefab::fabric
