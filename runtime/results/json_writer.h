// A minimal streaming JSON writer with deterministic number formatting (shortest round-trip
// form from std::to_chars), so equal values always print as equal bytes.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

namespace moefab {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(const std::string& k) {
    Separator();
    Quote(k);
    out_ += ": ";
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(const std::string& s) {
    Separator();
    Quote(s);
    return *this;
  }
  JsonWriter& Bool(bool b) {
    Separator();
    out_ += b ? "true" : "false";
    return *this;
  }
  JsonWriter& Uint(uint64_t v) {
    Separator();
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& Int(int64_t v) {
    Separator();
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& Double(double v) {
    Separator();
    if (!std::isfinite(v)) {
      out_ += "null";
      return *this;
    }
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, res.ptr);
    return *this;
  }
  template <typename T>
  JsonWriter& Field(const std::string& k, T v) {
    Key(k);
    if constexpr (std::is_same_v<T, bool>)
      return Bool(v);
    else if constexpr (std::is_floating_point_v<T>)
      return Double(v);
    else if constexpr (std::is_signed_v<T>)
      return Int(v);
    else
      return Uint(v);
  }
  JsonWriter& Field(const std::string& k, const std::string& v) { return Key(k).String(v); }
  JsonWriter& Field(const std::string& k, const char* v) { return Key(k).String(v); }
  [[nodiscard]] const std::string& str() const { return out_; }

 private:
  JsonWriter& Open(char c) {
    Separator();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& Close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) Newline();
    out_ += c;
    if (first_.empty()) out_ += '\n';
    return *this;
  }
  void Separator() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    Newline();
  }
  void Newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  void Quote(const std::string& s) {
    out_ += '"';
    for (char c : s) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\r':
          out_ += "\\r";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;          // the document so far
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;   // a key was just written; its value follows inline
};

}  // namespace moefab
