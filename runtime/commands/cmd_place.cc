// `moefab place CONFIG [--out DIR]`: the placement CONFIG's strategy produces, measured
// without running anything, printed, and with --out written as a placement file (router/placement_file.h) that a
// later config can load with `placement { strategy: FILE file: "DIR/placement.txt" }`.
//
// Figures (router::MeasurePlacement): expert chips used, expected load per chip (max, mean
// over the chips used; a replica carries its pair's load divided by the replica count), most
// slots on one chip, expected hops per routed job from a uniformly chosen attention chip to
// the nearest replica in the run's fabric (fabric::Network::Hops: DOR, or shortest paths on
// twisted and OCS wirings, as the runs route), and
// expected hop-bytes per job, a job being its dispatch (d_model int8 activations + 1 exponent
// byte) plus its result (d_model int16 values): 3 x d_model + 1 bytes, headers not counted.
// Expert load: the plan's expected load per (layer, expert) (ClusterPlan::expected_load, from
// the routing statistics), or uniform 1 per pair when it has none.
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <vector>

#include "fabric/network.h"
#include "router/placement_file.h"
#include "router/placement_strategies.h"
#include "runtime/commands/commands.h"
#include "runtime/commands/console_format.h"
#include "runtime/config/config_loader.h"
#include "runtime/config/options.h"
#include "runtime/plan/cluster_plan.h"

namespace moefab {

int PlaceCommand(const CommandArgs& args) {
  const RunOptions o = LoadConfigFile(args.config_path);
  const ClusterPlan plan = MakePlan(o);
  std::vector<NodeId> experts, attention;
  for (NodeId n = 0; n < o.num_nodes(); ++n) (o.SkuOf(n).kind == ChipKind::kExpert ? experts : attention).push_back(n);
  const fabric::Network& net = *plan.network;
  const router::HopFn hops = [&net](NodeId a, NodeId b) { return net.Hops(a, b); };
  const bool measured = plan.expected_load.size() == plan.placement.replicas.size();
  const router::ExpertLoad load =
      measured ? router::ExpertLoad(plan.expected_load) : router::ExpertLoad(plan.placement.replicas.size(), 1.0);
  const uint64_t bytes_per_job = 3ull * o.model.d_model + 1;
  const router::PlacementMetrics m =
      router::MeasurePlacement(plan.placement, load, experts, attention, hops, bytes_per_job);

  std::ostringstream dims;
  for (size_t i = 0; i < o.torus_dims.size(); ++i) dims << (i ? "x" : "") << o.torus_dims[i];
  std::size_t replicas = 0;
  for (const auto& r : plan.placement.replicas) replicas += r.size();
  std::ostringstream text;
  for (const auto& note : o.notes) text << "note: " << note << "\n";
  text << "model " << o.model.name << ": " << o.model.num_layers << " MoE layers x (" << o.model.num_experts
       << " routed + " << o.model.num_shared_experts << " shared) experts = " << plan.placement.replicas.size()
       << " (layer, expert) pairs, " << replicas << " slots\n"
       << "cluster: torus " << dims.str() << ", " << CountOf(experts.size(), "expert chip") << ", "
       << CountOf(attention.size(), "attention chip") << "\n"
       << "expert chips used   " << m.chips_used << " of " << experts.size() << "\n"
       << "slots per chip      max " << m.max_slots << "\n"
       << "load per chip       max " << m.max_load << ", mean " << m.mean_load
       << (measured ? " (jobs per token summed over layers: the loader's expected load)\n"
                    : " (uniform load: 1 per (layer, expert))\n")
       << "expected hops       " << m.expected_hops << " per routed job (attention chip -> nearest replica)\n"
       << "expected hop-bytes  " << m.expected_hop_bytes << " per routed job (" << bytes_per_job
       << " bytes per job: dispatch d_model + 1, result 2 x d_model)\n";
  if (!args.out_dir.empty()) {
    std::filesystem::create_directories(args.out_dir);
    const std::string path = (std::filesystem::path(args.out_dir) / "placement.txt").string();
    router::WritePlacementFile(path, plan.placement);
    text << "wrote " << path << "\n";
  } else {
    text << "no placement file written (moefab place CONFIG --out DIR writes DIR/placement.txt)\n";
  }
  std::fputs(text.str().c_str(), stdout);
  return 0;
}

}  // namespace moefab
