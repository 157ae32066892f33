// Says what was expected after a text-format parse error: protobuf's "Message type
// "moefab.config.Model" has no field named "top_kk"." gains the closest field names of that
// message (edit distance), and "Unknown enumeration value of "FAST" for field "fidelity"."
// the closest values of that field's enum (all of them when none is close).
#pragma once

#include <string>
#include <vector>

namespace moefab {

/// Levenshtein distance between `a` and `b`, case-insensitive.
size_t EditDistance(const std::string& a, const std::string& b);

/// The names among `candidates` closest to `name` (at most 3, each within a third of its
/// length plus 1 edits, nearest first; ties in the order given).
std::vector<std::string> ClosestNames(const std::string& name, const std::vector<std::string>& candidates);

/// `message` (one protobuf parse error) with "; expected ..." appended when it names an
/// unknown field or enum value of the moefab schema; otherwise `message` unchanged.
std::string ExplainParseError(const std::string& message);

}  // namespace moefab
