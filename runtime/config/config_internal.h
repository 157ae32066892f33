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

/// Placement settings: strategy, explicit entries, replicas, file, replica policy (config_placement.cc).
void ConvertPlacement(const pb::Config& c, Problems& p, RunOptions& out);
/// Workload, routing source, energy, simulation and report sections (config_workload.cc).
void ConvertRest(const pb::Config& c, Problems& p, RunOptions& out);
/// `path` relative to the directory of the config file `config_path` (absolute paths kept).
std::string RelativeToConfig(const std::string& config_path, const std::string& path);

}  // namespace moefab::config_detail
