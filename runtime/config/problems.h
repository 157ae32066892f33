// Validation problems of one config file, collected so that one ConfigError reports them all:
// each line names the file, the field, the value found and what was expected.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace moefab {

// Accumulates validation errors; ThrowIfAny() raises one ConfigError with all of them.
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

}  // namespace moefab
