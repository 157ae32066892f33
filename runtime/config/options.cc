#include "runtime/config/options.h"

namespace moefab {

const char* PlacementStrategyName(PlacementStrategy s) {
  switch (s) {
    case PlacementStrategy::kRoundRobin:
      return "ROUND_ROBIN";
    case PlacementStrategy::kExplicit:
      return "EXPLICIT";
    case PlacementStrategy::kLayerBlocked:
      return "LAYER_BLOCKED";
    case PlacementStrategy::kLoadBalanced:
      return "LOAD_BALANCED";
    case PlacementStrategy::kTopologyAware:
      return "TOPOLOGY_AWARE";
    case PlacementStrategy::kFile:
      return "FILE";
  }
  return "?";
}

const char* TransportName(TransportKind t) {
  switch (t) {
    case TransportKind::kAuto:
      return "auto";
    case TransportKind::kMpi:
      return "mpi";
    case TransportKind::kUcx:
      return "ucx";
    case TransportKind::kShm:
      return "shm";
  }
  return "?";
}

}  // namespace moefab
