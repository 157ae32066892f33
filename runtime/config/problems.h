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
  /// Adds "field=v: expected lo to hi[ (note)]" unless lo <= v <= hi (NaN is never in range).
  /// Returns whether v was in range.
  template <typename V>
  bool Range(const std::string& field, V v, V lo, V hi, const std::string& note = "") {
    if (v >= lo && v <= hi) return true;
    std::ostringstream range;
    range << "expected " << lo << " to " << hi << (note.empty() ? "" : " (" + note + ")");
    Add(field, v, range.str());
    return false;
  }
  /// Like Range, but 0 is also accepted (a field whose 0 means "off" or "unset").
  template <typename V>
  bool ZeroOrRange(const std::string& field, V v, V lo, V hi, const std::string& note) {
    if (v == V{0}) return true;
    return Range(field, v, lo, hi, "or 0: " + note);
  }
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
