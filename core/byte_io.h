// Little helpers to pack plain values into byte buffers for cross-rank messages and result
// gathering. Host byte order: all ranks of one job run the same binary on the same kind of host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "core/error.h"

namespace moefab {

using Bytes = std::vector<std::byte>;

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::byte>& out) : out_(out) {}
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &v, sizeof(T));
  }
  /// `n` raw bytes (no length prefix).
  void PutBytes(const void* data, size_t n) {
    const size_t at = out_.size();
    out_.resize(at + n);
    if (n) std::memcpy(out_.data() + at, data, n);
  }
  template <typename T>
  void PutVector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Put<uint64_t>(v.size());
    const size_t at = out_.size();
    out_.resize(at + v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(out_.data() + at, v.data(), v.size() * sizeof(T));
  }

 private:
  std::vector<std::byte>& out_;  // borrowed; outlives the writer
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> in) : in_(in) {}
  template <typename T>
  T Get() {
    static_assert(std::is_trivially_copyable_v<T>);
    MOEFAB_CHECK(pos_ + sizeof(T) <= in_.size(), "ByteReader overrun at " << pos_);
    T v;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <typename T>
  std::vector<T> GetVector() {
    const auto n = Get<uint64_t>();
    MOEFAB_CHECK(pos_ + n * sizeof(T) <= in_.size(), "ByteReader vector overrun at " << pos_);
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), in_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return v;
  }
  /// `n` raw bytes (no length prefix) into `data`.
  void GetBytes(void* data, size_t n) {
    MOEFAB_CHECK(pos_ + n <= in_.size(), "ByteReader bytes overrun at " << pos_);
    if (n) std::memcpy(data, in_.data() + pos_, n);
    pos_ += n;
  }
  [[nodiscard]] bool done() const { return pos_ == in_.size(); }
  [[nodiscard]] size_t pos() const { return pos_; }  // bytes read so far

 private:
  std::span<const std::byte> in_;  // borrowed
  size_t pos_ = 0;                 // read position (bytes)
};

}  // namespace moefab
