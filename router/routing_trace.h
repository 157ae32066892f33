// Routing traces: the experts and gate weights of every (token, layer), from a synthetic
// generator calibrated on published routing statistics or from a file any run can write.
//
// Trace file format (text, one record per line, '#' starts a comment):
//   moefab-routing-trace v1
//   layers <L> experts <E> top_k <K> tokens <N>
//   <token> <layer> <e1;e2;...;eK> <w1;w2;...;wK>
// experts ascending, weights in Q1.15 (32768 = 1.0); every (token, layer) exactly once.
//
// The synthetic generator (docs/REFERENCES.md R-LOCALITY, R-ZIPF-TABLE): per layer a Zipf
// popularity over a random permutation of the experts; each of a token's k picks is, with the given
// probabilities, the previous token's pick of the same stream (temporal repeat), the
// successor (fixed random table) of the token's pick at the previous layer (inter-layer
// affinity), the token id's favourite (per-token preference), or a fresh Zipf draw; picks are
// made distinct by redrawing. Streams: token t follows token t - streams (decode sequences).
// Weights: softmax of seeded Gaussian scores, renormalised over the k picks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "router/topk.h"

namespace moefab::router {

struct RoutingTrace {
  uint32_t num_tokens = 0, num_layers = 0, num_experts = 0, top_k = 0;
  std::vector<uint32_t> experts;      // [token][layer][k], ascending within a record
  std::vector<uint32_t> weights_q15;  // [token][layer][k]

  [[nodiscard]] Selection At(uint32_t token, uint32_t layer) const;
};

struct SyntheticRoutingParams {
  uint32_t num_tokens = 0, num_layers = 0, num_experts = 0, top_k = 0;
  std::vector<double> zipf_s;    // per layer (one value = all layers); 0 = uniform
  double repeat_prob = 0.25;     // pick = previous token's pick (same stream)
  double affinity_prob = 0.3;    // pick = successor of this token's previous-layer pick
  double preference_prob = 0.3;  // pick = token id's favourite
  uint32_t streams = 1;          // decode sequences interleaved in token order
  uint32_t vocabulary = 32000;   // token ids are Zipf(1.0) over this vocabulary
  uint64_t seed = 0;
};

void ValidateSyntheticRoutingParams(const SyntheticRoutingParams& p);
RoutingTrace GenerateSyntheticRouting(const SyntheticRoutingParams& p);

/// Writes atomically (temporary file + rename). Throws std::runtime_error on I/O failure.
void WriteRoutingTrace(const std::string& path, const RoutingTrace& trace);
/// Throws ConfigError naming the file, the line and the problem.
RoutingTrace ReadRoutingTrace(const std::string& path);

/// Per (layer, expert) share of routed assignments in the trace, flat layer-major.
std::vector<double> ExpertLoadOf(const RoutingTrace& trace);

}  // namespace moefab::router
