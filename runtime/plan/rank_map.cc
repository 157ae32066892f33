#include "runtime/plan/rank_map.h"

#include <algorithm>
#include <array>
#include <numeric>

#include "core/error.h"

namespace moefab {

namespace {

// Node coordinates on the config's node grid (x fastest).
std::array<uint32_t, 3> CoordOf(NodeId n, const std::vector<uint32_t>& dims) {
  std::array<uint32_t, 3> c{0, 0, 0};
  for (size_t d = 0; d < dims.size() && d < 3; ++d) {
    c[d] = n % dims[d];
    n /= dims[d];
  }
  return c;
}

// A cut between two planes of an axis that crosses only the long links of the fabric: OCS cubes
// stack along the last axis of the node grid, and a plane at a multiple of the cube's extent
// there is a cube boundary, crossed only by optical links (50 ns against 10 ns: the PDES
// lookahead is 2.3x longer there, so a run takes about half the windows). `period[d]` is the
// cube's extent along axis d (or the axis' own length: no such plane).
struct Grid {
  std::vector<uint32_t> dims;
  std::array<uint32_t, 3> period{~0u, ~0u, ~0u};
};

// Assigns ranks [first, first + count) to `nodes`, cutting across the longest axis.
void Bisect(std::vector<NodeId> nodes, RankId first, RankId count, const std::vector<double>& work,
            const Grid& grid, std::vector<RankId>& owner) {
  const std::vector<uint32_t>& dims = grid.dims;
  if (count == 1 || nodes.size() <= 1) {
    for (NodeId n : nodes) owner[n] = first;
    return;
  }
  // The longest axis of this part (by the span of its coordinates; ties: the slowest axis).
  std::array<uint32_t, 3> lo{~0u, ~0u, ~0u}, hi{0, 0, 0};
  for (NodeId n : nodes) {
    const auto c = CoordOf(n, dims);
    for (int d = 0; d < 3; ++d) {
      lo[d] = std::min(lo[d], c[d]);
      hi[d] = std::max(hi[d], c[d]);
    }
  }
  int axis = 0;
  for (int d = 1; d < 3; ++d)
    if (hi[d] - lo[d] >= hi[axis] - lo[axis]) axis = d;
  std::stable_sort(nodes.begin(), nodes.end(),
                   [&](NodeId a, NodeId b) { return CoordOf(a, dims)[axis] < CoordOf(b, dims)[axis]; });
  // The split that gives the first half of the ranks its share of the work, leaving every
  // rank at least one node. A cut between two planes of the axis is preferred (a flat cut
  // crosses fewer links and leaves more nodes far from it) unless it costs more than 2% of
  // this part's work in balance; a cut on a cube boundary (only optical links cross it: a
  // longer lookahead) unless it costs more than 10%.
  const RankId left = count / 2;
  double total = 0;
  for (NodeId n : nodes) total += work[n];
  const double target = total * left / count;
  const size_t min_split = nodes.size() >= count ? left : 1;
  const size_t max_split = nodes.size() >= count ? nodes.size() - (count - left) : nodes.size() - 1;
  size_t split = min_split, plane_split = 0, cube_split = 0;
  double best = -1, best_plane = -1, best_cube = -1, acc = 0;
  for (size_t s = 1; s < nodes.size(); ++s) {
    acc += work[nodes[s - 1]];
    if (s < min_split || s > max_split) continue;
    const double err = std::abs(acc - target);
    if (best < 0 || err < best) best = err, split = s;
    const uint32_t at = CoordOf(nodes[s], dims)[axis];
    const bool plane = CoordOf(nodes[s - 1], dims)[axis] != at;
    if (plane && (best_plane < 0 || err < best_plane)) best_plane = err, plane_split = s;
    if (plane && at % grid.period[axis] == 0 && (best_cube < 0 || err < best_cube)) best_cube = err, cube_split = s;
  }
  if (best_plane >= 0 && best_plane <= best + 0.02 * total) split = plane_split;
  if (best_cube >= 0 && best_cube <= best + 0.10 * total) split = cube_split;
  Bisect(std::vector<NodeId>(nodes.begin(), nodes.begin() + static_cast<std::ptrdiff_t>(split)), first, left, work,
         grid, owner);
  Bisect(std::vector<NodeId>(nodes.begin() + static_cast<std::ptrdiff_t>(split), nodes.end()), first + left,
         count - left, work, grid, owner);
}

}  // namespace

std::vector<double> ExpectedNodeWork(const RunOptions& o, const ClusterPlan& plan) {
  const uint32_t n = o.num_nodes();
  std::vector<double> jobs(n, 0.0);
  const auto& m = o.model;
  // Expert chips: each (layer, expert)'s expected jobs per token, shared by its replicas.
  double all_jobs = 0;
  for (size_t i = 0; i < plan.placement.replicas.size(); ++i) {
    const auto& reps = plan.placement.replicas[i];
    const double load = i < plan.expected_load.size() ? plan.expected_load[i] : 0.0;
    all_jobs += load;
    for (NodeId r : reps) jobs[r] += load / static_cast<double>(reps.size());
  }
  // Attention chips: the jobs of their tokens (each homes an equal share).
  uint32_t attention = 0;
  for (NodeId i = 0; i < n; ++i) attention += o.SkuOf(i).kind == ChipKind::kAttention;
  for (NodeId i = 0; i < n; ++i)
    if (o.SkuOf(i).kind == ChipKind::kAttention) jobs[i] = all_jobs / std::max(1u, attention);
  // A job's cost: RTL cycles make expert jobs heavy; otherwise a handful of events each side.
  std::vector<double> work(n, 0.0);
  double chip_sum = 0;
  for (NodeId i = 0; i < n; ++i) {
    const SkuOptions& sku = o.SkuOf(i);
    double cost = 1;
    if (sku.kind == ChipKind::kExpert && o.fidelity == Fidelity::kRtl && !o.timing_only) {
      const chips::EngineConfig c = EngineConfigOf(m, sku);
      cost = static_cast<double>(chips::ClosedFormPipeline(c).latency.value) / 100.0;
    }
    work[i] = jobs[i] * cost;
    chip_sum += work[i];
  }
  // Routers: one unit each, scaled so that all routers weigh as much as all chips when the
  // chips do no RTL (both handle about as many events per job).
  const double router = chip_sum > 0 ? std::min(chip_sum, all_jobs) / n : 1.0;
  for (NodeId i = 0; i < n; ++i) work[i] += router;
  return work;
}

std::vector<RankId> RankOwners(const RunOptions& o, const ClusterPlan& plan, RankId ranks) {
  const uint32_t n = o.num_nodes();
  std::vector<RankId> owner(n, 0);
  if (ranks <= 1) return owner;
  if (o.rank_mapping == RankMapping::kRoundRobin) {
    for (NodeId i = 0; i < n; ++i) owner[i] = i % ranks;
    return owner;
  }
  Grid grid;
  grid.dims = o.torus_dims;
  if (grid.dims.empty()) grid.dims = {n};
  const auto& topo = o.fabric.topology;
  if (topo.kind == fabric::TopologyKind::kOcsCubes && topo.num_cubes > 1) {
    // Cubes stack along the last axis of the node grid (config_loader: kx, ky, kz * cubes).
    const size_t last = std::min<size_t>(grid.dims.size(), 3) - 1;
    grid.period[last] = grid.dims[last] / topo.num_cubes;
  }
  std::vector<NodeId> nodes(n);
  std::iota(nodes.begin(), nodes.end(), 0);
  Bisect(std::move(nodes), 0, ranks, ExpectedNodeWork(o, plan), grid, owner);
  return owner;
}

}  // namespace moefab
