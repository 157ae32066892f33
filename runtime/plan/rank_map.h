// Which rank owns which node. `block` (the default) cuts the node grid by recursive bisection:
// each cut goes across the longest axis of the part, at the point that balances the expected
// work of the two halves (so the cut is small, many nodes are far from it, and every rank gets
// its share of the work). On OCS cubes a cut on a cube boundary is preferred (within 10% of
// the balance): only optical links cross it, so the PDES lookahead is the optical latency's.
// `round-robin` deals nodes out one by one (n mod ranks), which tests
// that results do not depend on the mapping.
//
// Expected work of a node: its router's share of the traffic (one unit per node) plus its
// chip's jobs (expert chips: the jobs its slots expect per token; attention chips: the jobs
// its tokens send), weighted by a job's cost (its RTL cycles in RTL fidelity). The mapping
// only moves work between ranks: results are identical for any mapping.
#pragma once

#include <vector>

#include "core/types.h"
#include "runtime/config/options.h"
#include "runtime/plan/cluster_plan.h"

namespace moefab {

/// owner[n] for every node; collectively identical on every rank.
std::vector<RankId> RankOwners(const RunOptions& options, const ClusterPlan& plan, RankId ranks);

/// The expected work of every node (the weights RankOwners balances).
std::vector<double> ExpectedNodeWork(const RunOptions& options, const ClusterPlan& plan);

}  // namespace moefab
