#include "runtime/config/fabric_options.h"

#include <fstream>
#include <sstream>

#include <google/protobuf/text_format.h>

#include "core/error.h"
#include "moefab.pb.h"
#include "runtime/config/problems.h"
#include "runtime/config/schema_defaults.h"

namespace moefab {

namespace pb = ::moefab::config;

const char* TrafficPatternName(fabric::TrafficPattern p) {
  switch (p) {
    case fabric::TrafficPattern::kUniform:
      return "uniform";
    case fabric::TrafficPattern::kTranspose:
      return "transpose";
    case fabric::TrafficPattern::kTornado:
      return "tornado";
    case fabric::TrafficPattern::kBitComplement:
      return "bit_complement";
    case fabric::TrafficPattern::kNearestNeighbor:
      return "nearest_neighbor";
    case fabric::TrafficPattern::kHotspot:
      return "hotspot";
  }
  return "?";
}

FabricModelOptions LoadFabricModel(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  pb::Config c;
  google::protobuf::TextFormat::Parser parser;
  // The full loader (moefab run) reports parse errors with lines; here a short message does.
  if (!parser.ParseFromString(ss.str(), &c))
    throw ConfigError(path + ": not a valid config (run `moefab run` on it for the details)");
  Problems p(path);
  CheckEnumValues(c, p);
  p.ThrowIfAny();
  if (!c.has_fabric() || !c.fabric().has_torus() || c.fabric().torus().dims().empty())
    throw ConfigError(path + ": fabric.torus.dims: expected 1 to 3 axes");
  ApplySchemaDefaults(c);
  FabricModelOptions o = FabricModelOf(c, path);
  BuildNetwork(o, path);  // validates the topology and the network options
  return o;
}

FabricModelOptions FabricModelOf(const pb::Config& c, const std::string& path) {
  const auto& f = c.fabric();
  if (f.torus().dims().empty()) throw ConfigError(path + ": fabric.torus.dims: expected 1 to 3 axes");
  FabricModelOptions o;
  const auto& t = f.torus();
  auto& topo = o.topology;
  topo.dims.assign(t.dims().begin(), t.dims().end());
  topo.link.bandwidth_mbytes_per_s = f.link_bandwidth_mbytes_per_s();
  topo.link.latency_ps = f.link_latency_ps();
  for (const auto& tw : t.twists()) topo.twists.push_back(fabric::Twist{tw.dim(), tw.along(), tw.shift()});
  switch (t.kind()) {
    case pb::TORUS:
      topo.kind = fabric::TopologyKind::kTorus;
      break;
    case pb::MESH:
      topo.kind = fabric::TopologyKind::kMesh;
      break;
    case pb::TWISTED_TORUS:
      topo.kind = fabric::TopologyKind::kTwistedTorus;
      break;
    case pb::OCS_CUBES: {
      topo.kind = fabric::TopologyKind::kOcsCubes;
      topo.cube_dims.assign(t.cube_dims().begin(), t.cube_dims().end());
      if (topo.cube_dims.size() != topo.dims.size())
        throw ConfigError(path + ": fabric.torus.cube_dims: expected one entry per axis of dims (the cube grid)");
      topo.num_cubes = 1;
      for (auto d : topo.dims) topo.num_cubes *= d;
      topo.optical.bandwidth_mbytes_per_s =
          t.optical_bandwidth_mbytes_per_s() ? t.optical_bandwidth_mbytes_per_s() : topo.link.bandwidth_mbytes_per_s;
      topo.optical.latency_ps = t.optical_latency_ps();
      std::vector<uint32_t> global;
      for (size_t i = 0; i < topo.dims.size(); ++i) global.push_back(topo.dims[i] * topo.cube_dims[i]);
      const auto twists = t.ocs_twisted() ? fabric::DefaultTwists(global) : std::vector<fabric::Twist>{};
      topo.ocs = fabric::OcsTorusWiring(topo.cube_dims, topo.dims, twists);
      for (const auto& r : t.rewires()) {
        fabric::Reconfiguration rc;
        rc.at_ps = r.at_ps();
        rc.ocs = fabric::OcsTorusWiring(topo.cube_dims, topo.dims,
                                        r.twisted() ? fabric::DefaultTwists(global) : std::vector<fabric::Twist>{});
        o.network.reconfigurations.push_back(std::move(rc));
      }
      break;
    }
    default:
      throw ConfigError(path + ": fabric.torus.kind: unknown value");
  }
  o.kind_name = pb::TopologyKind_Name(t.kind());
  auto& n = o.network;
  n.router_delay_ps = f.router_delay_ps();
  n.header_bytes = f.header_bytes();
  n.flit_bytes = f.flit_bytes();
  n.mtu_bytes = f.mtu_bytes();
  n.flow_control = f.flow_control() == pb::STORE_AND_FORWARD ? fabric::FlowControl::kStoreAndForward
                                                             : fabric::FlowControl::kVirtualCutThrough;
  switch (f.routing()) {
    case pb::DIMENSION_ORDER:
      n.routing = fabric::RoutingAlgorithm::kDimensionOrder;
      break;
    case pb::SHORTEST_PATH_TABLE:
      n.routing = fabric::RoutingAlgorithm::kShortestPathTable;
      break;
    case pb::MINIMAL_ADAPTIVE:
      n.routing = fabric::RoutingAlgorithm::kMinimalAdaptive;
      break;
    default:
      n.routing = fabric::RoutingAlgorithm::kAuto;
  }
  n.num_vcs = f.num_vcs();
  n.buffer_flits = f.buffer_flits();
  n.watchdog_ps = f.watchdog_ps();
  n.ocs_switch_ps = f.ocs_switch_ps();
  n.credit_delay_ps = f.credit_delay_ps();
  n.injection_latency_ps = f.injection_latency_ps();
  n.ejection_latency_ps = f.ejection_latency_ps();
  const auto& b = f.bench();
  for (int p : b.patterns()) {
    switch (p) {
      case pb::TRANSPOSE:
        o.patterns.push_back(fabric::TrafficPattern::kTranspose);
        break;
      case pb::TORNADO:
        o.patterns.push_back(fabric::TrafficPattern::kTornado);
        break;
      case pb::BIT_COMPLEMENT:
        o.patterns.push_back(fabric::TrafficPattern::kBitComplement);
        break;
      case pb::NEAREST_NEIGHBOR:
        o.patterns.push_back(fabric::TrafficPattern::kNearestNeighbor);
        break;
      case pb::HOTSPOT:
        o.patterns.push_back(fabric::TrafficPattern::kHotspot);
        break;
      default:
        o.patterns.push_back(fabric::TrafficPattern::kUniform);
    }
  }
  if (o.patterns.empty()) o.patterns.push_back(fabric::TrafficPattern::kUniform);
  o.loads.assign(b.loads().begin(), b.loads().end());
  for (double l : o.loads)
    if (!(l > 0) || l > 4) throw ConfigError(path + ": fabric.bench.loads: expected values in (0, 4] flits/node/cycle");
  if (o.loads.empty())
    for (int i = 1; i <= 10; ++i) o.loads.push_back(0.1 * i);
  const auto range = [&](const char* field, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v < lo || v > hi)
      throw ConfigError(path + ": fabric.bench." + field + "=" + std::to_string(v) + ": expected " + std::to_string(lo) +
                        " to " + std::to_string(hi));
  };
  range("packet_payload_bytes", b.packet_payload_bytes(), 0, uint64_t{1} << 24);
  range("warmup_cycles", b.warmup_cycles(), 0, 100'000'000);
  range("measure_cycles", b.measure_cycles(), 1, 100'000'000);
  range("all_to_all_bytes", b.all_to_all_bytes(), 0, uint64_t{1} << 30);
  o.traffic.packet_payload_bytes = b.packet_payload_bytes();
  o.traffic.warmup_cycles = b.warmup_cycles();
  o.traffic.measure_cycles = b.measure_cycles();
  o.traffic.seed = b.seed();
  o.all_to_all_bytes = b.all_to_all_bytes();
  // The node count; the topology and the network options (VCs, buffers, rewiring) are
  // validated when the network is built (BuildNetwork).
  o.num_nodes = 1;
  for (auto d : topo.kind == fabric::TopologyKind::kOcsCubes ? topo.cube_dims : topo.dims) o.num_nodes *= d;
  if (topo.kind == fabric::TopologyKind::kOcsCubes) o.num_nodes *= topo.num_cubes;
  return o;
}

std::unique_ptr<fabric::Network> BuildNetwork(const FabricModelOptions& o, const std::string& path) {
  try {
    return fabric::Network::Make(o.topology, o.network);
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": fabric: " + e.what());
  }
}

}  // namespace moefab
