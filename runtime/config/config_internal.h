// Internal to the config loader (config_*.cc): the conversion steps of each config section.
// Not part of the runtime's API.
#pragma once

#include "core/error.h"
#include "moefab.pb.h"
#include "runtime/config/options.h"
#include "runtime/config/problems.h"

namespace moefab::config_detail {

namespace pb = ::moefab::config;

using ::moefab::Problems;

/// Ranges shared by the config sections (configs/moefab.proto states them per field).
namespace limits {
inline constexpr uint32_t kMaxLayers = 4096;                   // MoE (and dense) layers
inline constexpr uint32_t kMaxTimingDim = 65536;               // d_model, heads, head_dim (timing-only runs)
inline constexpr uint32_t kMaxTimingWidth = 1u << 18;          // expert and dense FFN widths (timing-only runs)
inline constexpr uint64_t kMaxMbytesPerS = 1'000'000'000;      // any bandwidth: 1 PB/s
inline constexpr uint32_t kMaxCount = 1u << 20;                // queues, buffers, slots, replicas, nodes
inline constexpr uint64_t kMaxDelayPs = 1'000'000'000'000;     // a fixed delay: 1 s
inline constexpr uint64_t kMaxWaitPs = 1'000'000'000'000'000;  // a timeout or switch time: 1000 s
inline constexpr uint64_t kMaxSimPs = uint64_t{1} << 62;       // any simulated time
}  // namespace limits

/// Placement settings: strategy, explicit entries, replicas, file, replica policy (config_placement.cc).
void ConvertPlacement(const pb::Config& c, Problems& p, RunOptions& out);
/// Workload, routing source, energy, simulation and report sections (config_workload.cc).
void ConvertRest(const pb::Config& c, Problems& p, RunOptions& out);
/// Quantities derived from several fields: shape of computed experts, attention time, OCS
/// rewiring spacing, the memory estimate against the budget (config_limits.cc).
void CheckDerived(const pb::Config& c, Problems& p, const RunOptions& out);
/// `path` relative to the directory of the config file `config_path` (absolute paths kept).
std::string RelativeToConfig(const std::string& config_path, const std::string& path);

}  // namespace moefab::config_detail
