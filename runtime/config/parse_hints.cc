#include "runtime/config/parse_hints.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>

#include "moefab.pb.h"

namespace moefab {

namespace {

namespace gp = ::google::protobuf;

// The text between the first pair of double quotes after `after` in `s` (empty if none).
std::string Quoted(const std::string& s, const std::string& after) {
  const size_t at = s.find(after);
  if (at == std::string::npos) return {};
  const size_t open = s.find('"', at + after.size());
  if (open == std::string::npos) return {};
  const size_t close = s.find('"', open + 1);
  return close == std::string::npos ? std::string() : s.substr(open + 1, close - open - 1);
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "; did you mean a, b? (X)" or, with nothing close, "; expected X: all names".
std::string Expected(const std::string& what, const std::string& name, const std::vector<std::string>& all) {
  const std::vector<std::string> close = ClosestNames(name, all);
  if (!close.empty()) return "; did you mean " + Join(close) + "? (" + what + ")";
  return "; expected " + what + ": " + Join(all);
}

// Every message type of the schema's file, nested ones included.
void AllMessages(const gp::Descriptor* d, std::vector<const gp::Descriptor*>& out) {
  out.push_back(d);
  for (int i = 0; i < d->nested_type_count(); ++i) AllMessages(d->nested_type(i), out);
}

}  // namespace

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> ClosestNames(const std::string& name, const std::vector<std::string>& candidates) {
  const size_t limit = name.size() / 3 + 1;
  std::vector<std::pair<size_t, size_t>> scored;  // (distance, index)
  for (size_t i = 0; i < candidates.size(); ++i) {
    const size_t d = EditDistance(name, candidates[i]);
    if (d <= limit) scored.emplace_back(d, i);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t k = 0; k < scored.size() && k < 3; ++k) out.push_back(candidates[scored[k].second]);
  return out;
}

std::string ExplainParseError(const std::string& message) {
  const gp::DescriptorPool* pool = gp::DescriptorPool::generated_pool();
  if (message.find("has no field named") != std::string::npos) {
    const std::string type = Quoted(message, "Message type");
    const std::string field = Quoted(message, "has no field named");
    const gp::Descriptor* d = pool->FindMessageTypeByName(type);
    if (!d || field.empty()) return message;
    std::vector<std::string> fields;
    for (int i = 0; i < d->field_count(); ++i) fields.push_back(d->field(i)->name());
    std::string out = message;
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out + Expected("a field of " + d->name(), field, fields);
  }
  if (message.find("Unknown enumeration value of") != std::string::npos) {
    const std::string value = Quoted(message, "Unknown enumeration value of");
    const std::string field = Quoted(message, "for field");
    // The message does not name the field's message: take every enum field of that name.
    std::vector<const gp::Descriptor*> messages;
    AllMessages(config::Config::descriptor(), messages);
    const gp::FileDescriptor* file = config::Config::descriptor()->file();
    for (int i = 0; i < file->message_type_count(); ++i)
      if (file->message_type(i) != config::Config::descriptor()) AllMessages(file->message_type(i), messages);
    std::set<const gp::EnumDescriptor*> enums;
    for (const auto* m : messages) {
      const gp::FieldDescriptor* f = m->FindFieldByName(field);
      if (f && f->enum_type()) enums.insert(f->enum_type());
    }
    if (enums.size() != 1 || value.empty()) return message;
    const gp::EnumDescriptor* e = *enums.begin();
    std::vector<std::string> values;
    for (int i = 0; i < e->value_count(); ++i)
      if (e->value(i)->number() != 0) values.push_back(e->value(i)->name());  // *_UNSPECIFIED: not a choice
    std::string out = message;
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out + Expected("a value of " + e->name(), value, values);
  }
  return message;
}

}  // namespace moefab
