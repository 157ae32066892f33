// Converts the config's fabric section into the detailed network model's options
// (fabric/topology.h, fabric/network.h, fabric/traffic.h). Used by `moefab run` (the cluster's
// network) and `moefab fabric-bench`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fabric/network.h"
#include "fabric/topology.h"
#include "fabric/traffic.h"

namespace moefab {

namespace config {
class Config;
}

struct FabricModelOptions {
  fabric::TopologyOptions topology;
  fabric::NetworkOptions network;
  fabric::TrafficOptions traffic;                // fabric-bench: packet size, windows, seed
  std::vector<fabric::TrafficPattern> patterns;  // fabric-bench: patterns to sweep
  std::vector<double> loads;                     // fabric-bench: offered flits/node/cycle
  uint64_t all_to_all_bytes = 0;                 // fabric-bench: per pair; 0 = skip
  std::string kind_name;                         // "TORUS", "TWISTED_TORUS", ...
  uint32_t num_nodes = 0;                        // of the topology
};

/// Reads the config file's fabric section and validates it by building the network once.
/// Throws ConfigError naming the file and field.
FabricModelOptions LoadFabricModel(const std::string& config_path);
/// The fabric section of a parsed config filled with the schema's defaults
/// (ApplySchemaDefaults); `name` is the file named in errors. Checks the fields; the topology
/// and network options are validated by BuildNetwork.
FabricModelOptions FabricModelOf(const config::Config& c, const std::string& name);
/// The network of `o` (validates the topology, VCs, buffers and rewiring); ConfigError names
/// the file `path` and the problem.
std::unique_ptr<fabric::Network> BuildNetwork(const FabricModelOptions& o, const std::string& path);

const char* TrafficPatternName(fabric::TrafficPattern p);

}  // namespace moefab
