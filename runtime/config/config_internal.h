// Internal to the config loader (config_*.cc): the accumulated validation problems and the
// conversion steps of each config section. Not part of the runtime's API.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "moefab.pb.h"
#include "core/error.h"
#include "runtime/config/options.h"

namespace moefab::config_detail {

namespace pb = ::moefab::config;

// Accumulates validation errors; Throw() raises one ConfigError with all of them.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  template <typename V>
  void Add(const std::string& field, const V& value, const std::string& expected) {
    std::ostringstream os;
    os << file_ << ": " << field << "=" << value << ": " << expected;
    lines_.push_back(os.str());
  }
  void AddRaw(const std::string& text) { lines_.push_back(file_ + ": " + text); }
  bool empty() const { return lines_.empty(); }
  void ThrowIfAny() const {
    if (lines_.empty()) return;
    std::string all;
    for (const auto& l : lines_) all += (all.empty() ? "" : "\n") + l;
    throw ConfigError(all);
  }

 private:
  std::string file_;
  std::vector<std::string> lines_;
};


/// Placement: strategy, replicas, placement file, weight capacity (config_placement.cc).
void ConvertPlacement(const pb::Config& c, Problems& p, RunOptions& out);
/// Workload, routing source, energy, simulation and report sections (config_workload.cc).
void ConvertRest(const pb::Config& c, Problems& p, RunOptions& out);
/// `path` relative to the directory of the config file `config_path` (absolute paths kept).
std::string RelativeToConfig(const std::string& config_path, const std::string& path);

}  // namespace moefab::config_detail
