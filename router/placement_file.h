// Placement files: a Placement written by `moefab place` and read back by the FILE strategy.
//
// Format (text, one record per line, '\n' line ends):
//
//   # moefab placement v1 layers L experts E
//   # layer expert node [node ...]
//   0 0 1
//   0 1 2 5
//   ...
//
// The first line is the header: L MoE layers, E experts per layer (routed plus shared: the
// Placement's num_experts). Every other line is blank, a comment starting with '#', or one
// (layer, expert) pair: the 0-based MoE layer, the 0-based expert id, then the torus node ids
// of its replicas (>= 1; a node listed twice holds two slots of the pair). Every pair appears
// exactly once, in any order; the writer emits them layer-major. Fields are separated by
// spaces or tabs; numbers are unsigned decimal.
//
// Reading checks the syntax and the counts only; whether the nodes exist and are expert
// chips is ValidatePlacement's job (placement.h).
#pragma once

#include <cstdint>
#include <string>

#include "router/placement.h"

namespace moefab::router {

/// Writes `p` to `path` atomically (a temporary file next to it, then a rename). Throws
/// ConfigError naming the path if it cannot be written, or if `p` is not complete (replicas
/// of size L x E, every pair with >= 1 node).
void WritePlacementFile(const std::string& path, const Placement& p);

/// Reads a placement of `num_layers` x `num_experts` pairs. Throws ConfigError naming the
/// file, the line, the value found and what was expected: a missing or wrong header, counts
/// that differ from the expected ones, a non-numeric or out-of-range field, a pair given
/// twice or missing, a line without nodes.
Placement ReadPlacementFile(const std::string& path, std::uint32_t num_layers, std::uint32_t num_experts);

}  // namespace moefab::router
