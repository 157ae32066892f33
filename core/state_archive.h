// Saving and restoring simulation state (checkpoints). A stateful class names its members
// once, in `template <class Ar> void Archive(Ar& ar) { ar(a_, b_, c_); }`, and the same list
// writes them (StateWriter) and reads them back (StateReader): the two directions cannot drift
// apart. Plain values (trivially copyable) go as bytes; vectors, deques, maps, multisets,
// unordered maps (written in key order, so the bytes do not depend on hash order), pairs,
// strings, optionals, unique_ptrs and priority queues of those as their contents. Shared byte
// buffers (the packets of one message share its payload) are written once per buffer and
// shared again on reading, so what was shared stays shared.
//
// A checkpoint is an input file on reading: StateReader throws ConfigError naming the file
// (given by the caller) and the offset when the bytes run out or a count is implausible.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/byte_io.h"
#include "core/error.h"

namespace moefab {

class StateWriter;
class StateReader;

namespace archive_detail {

template <class T>
struct IsSharedBytes : std::false_type {};
template <class B>
struct IsSharedBytes<std::shared_ptr<const std::vector<B>>> : std::bool_constant<sizeof(B) == 1> {};
template <class B>
struct IsSharedBytes<std::shared_ptr<std::vector<B>>> : std::bool_constant<sizeof(B) == 1> {};

// Access to a priority queue's container (protected in std::priority_queue).
template <class Q>
struct QueueAccess : Q {
  static typename Q::container_type& Of(Q& q) { return q.*(&QueueAccess::c); }
};

}  // namespace archive_detail

/// Writes state into a byte buffer.
class StateWriter {
 public:
  static constexpr bool kLoading = false;
  explicit StateWriter(Bytes& out) : w_(out) {}

  template <class... T>
  void operator()(T&... values) {
    (Value(values), ...);
  }
  /// Values that are computed rather than stored (e.g. a count): written as given.
  template <class T>
  void Put(const T& v) {
    w_.Put(v);
  }

 private:
  template <class T>
  void Value(T& v) {
    using archive_detail::IsSharedBytes;
    if constexpr (requires { v.Archive(*this); }) {
      v.Archive(*this);
    } else if constexpr (IsSharedBytes<T>::value) {
      Shared(v);
    } else if constexpr (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>) {
      w_.Put(v);
    } else {
      Container(v);
    }
  }
  template <class T>
  void Container(std::vector<T>& v) {
    Count(v.size());
    if constexpr (std::is_same_v<T, bool>) {
      for (bool b : v) w_.Put<uint8_t>(b);
    } else if constexpr (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>) {
      if (!v.empty()) w_.PutBytes(v.data(), v.size() * sizeof(T));
    } else {
      for (T& e : v) Value(e);
    }
  }
  template <class T>
  void Container(std::deque<T>& v) {
    Count(v.size());
    for (T& e : v) Value(e);
  }
  void Container(std::string& s) {
    Count(s.size());
    w_.PutBytes(s.data(), s.size());
  }
  template <class K, class V, class C>
  void Container(std::map<K, V, C>& m) {
    Count(m.size());
    for (auto& [k, v] : m) {
      K key = k;
      Value(key);
      Value(v);
    }
  }
  template <class K, class V, class H, class E>
  void Container(std::unordered_map<K, V, H, E>& m) {
    std::vector<K> keys;
    keys.reserve(m.size());
    for (const auto& kv : m) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    Count(keys.size());
    for (K& k : keys) {
      Value(k);
      Value(m.at(k));
    }
  }
  template <class T, class C>
  void Container(std::multiset<T, C>& m) {
    Count(m.size());
    for (T e : m) Value(e);
  }
  template <class A, class B>
  void Container(std::pair<A, B>& p) {
    Value(p.first);
    Value(p.second);
  }
  template <class T>
  void Container(std::optional<T>& o) {
    w_.Put<uint8_t>(o.has_value());
    if (o) Value(*o);
  }
  template <class T>
  void Container(std::unique_ptr<T>& p) {
    w_.Put<uint8_t>(p != nullptr);
    if (p) Value(*p);
  }
  template <class T, class C, class L>
  void Container(std::priority_queue<T, C, L>& q) {
    Value(archive_detail::QueueAccess<std::priority_queue<T, C, L>>::Of(q));
  }
  template <class P>
  void Shared(P& p) {
    if (!p) {
      w_.Put<uint64_t>(0);
      return;
    }
    const auto [it, fresh] = shared_ids_.try_emplace(p.get(), shared_ids_.size() + 1);
    w_.Put<uint64_t>(it->second);
    if (fresh) {
      Count(p->size());
      if (!p->empty()) w_.PutBytes(p->data(), p->size());
    }
  }
  void Count(size_t n) { w_.Put<uint64_t>(n); }

  ByteWriter w_;
  std::unordered_map<const void*, uint64_t> shared_ids_;  // buffer -> its id (1, 2, ...)
};

/// Reads state written by StateWriter (the same Archive lists, in the same order).
class StateReader {
 public:
  static constexpr bool kLoading = true;
  /// `file` names the checkpoint in error messages.
  StateReader(std::span<const std::byte> in, std::string file) : r_(in), size_(in.size()), file_(std::move(file)) {}

  template <class... T>
  void operator()(T&... values) {
    (Value(values), ...);
  }
  template <class T>
  T Get() {
    Need(sizeof(T));
    return r_.Get<T>();
  }
  /// Throws ConfigError naming the file and offset.
  [[noreturn]] void Fail(const std::string& what) const {
    throw ConfigError(file_ + ": byte " + std::to_string(r_.pos()) + ": " + what);
  }
  [[nodiscard]] bool done() const { return r_.done(); }
  /// A count of elements of at least `min_bytes` each, checked against the bytes left.
  size_t GetCount(size_t min_bytes) { return Count(min_bytes); }

 private:
  template <class T>
  void Value(T& v) {
    using archive_detail::IsSharedBytes;
    if constexpr (requires { v.Archive(*this); }) {
      v.Archive(*this);
    } else if constexpr (IsSharedBytes<T>::value) {
      Shared(v);
    } else if constexpr (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>) {
      v = Get<T>();
    } else {
      Container(v);
    }
  }
  template <class T>
  void Container(std::vector<T>& v) {
    const size_t n = Count(std::is_trivially_copyable_v<T> ? sizeof(T) : 1);
    v.clear();
    if constexpr (std::is_same_v<T, bool>) {
      v.resize(n);
      for (size_t i = 0; i < n; ++i) v[i] = Get<uint8_t>() != 0;
    } else if constexpr (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>) {
      v.resize(n);
      if (n) r_.GetBytes(v.data(), n * sizeof(T));
    } else {
      v.resize(n);
      for (T& e : v) Value(e);
    }
  }
  template <class T>
  void Container(std::deque<T>& v) {
    const size_t n = Count(1);
    v.clear();
    v.resize(n);
    for (T& e : v) Value(e);
  }
  void Container(std::string& s) {
    const size_t n = Count(1);
    s.resize(n);
    r_.GetBytes(s.data(), n);
  }
  template <class K, class V, class C>
  void Container(std::map<K, V, C>& m) {
    const size_t n = Count(1);
    m.clear();
    for (size_t i = 0; i < n; ++i) {
      K key{};
      Value(key);
      Value(m[key]);
    }
  }
  template <class K, class V, class H, class E>
  void Container(std::unordered_map<K, V, H, E>& m) {
    const size_t n = Count(1);
    m.clear();
    for (size_t i = 0; i < n; ++i) {
      K key{};
      Value(key);
      Value(m[key]);
    }
  }
  template <class T, class C>
  void Container(std::multiset<T, C>& m) {
    const size_t n = Count(std::is_trivially_copyable_v<T> ? sizeof(T) : 1);
    m.clear();
    for (size_t i = 0; i < n; ++i) {
      T e{};
      Value(e);
      m.insert(m.end(), std::move(e));
    }
  }
  template <class A, class B>
  void Container(std::pair<A, B>& p) {
    Value(p.first);
    Value(p.second);
  }
  template <class T>
  void Container(std::optional<T>& o) {
    o.reset();
    if (Get<uint8_t>()) Value(o.emplace());
  }
  template <class T>
  void Container(std::unique_ptr<T>& p) {
    p.reset();
    if (Get<uint8_t>()) {
      p = std::make_unique<T>();
      Value(*p);
    }
  }
  template <class T, class C, class L>
  void Container(std::priority_queue<T, C, L>& q) {
    Value(archive_detail::QueueAccess<std::priority_queue<T, C, L>>::Of(q));
  }
  template <class P>
  void Shared(P& p) {
    using Buffer = typename P::element_type;
    using Mutable = std::remove_const_t<Buffer>;
    const auto id = Get<uint64_t>();
    if (id == 0) {
      p.reset();
      return;
    }
    if (id <= shared_.size()) {
      p = std::static_pointer_cast<Buffer>(shared_[id - 1]);
      return;
    }
    if (id != shared_.size() + 1) Fail("shared buffer " + std::to_string(id) + " out of order");
    const size_t n = Count(1);
    auto fresh = std::make_shared<Mutable>(n);
    if (n) r_.GetBytes(fresh->data(), n);
    shared_.push_back(fresh);
    p = fresh;
  }
  // A count of elements of at least `min_bytes` each: no more than the bytes left can hold.
  size_t Count(size_t min_bytes) {
    const auto n = Get<uint64_t>();
    if (n > (size_ - r_.pos()) / std::max<size_t>(1, min_bytes))
      Fail("a count of " + std::to_string(n) + " exceeds the " + std::to_string(size_ - r_.pos()) + " bytes left");
    return static_cast<size_t>(n);
  }
  void Need(size_t n) const {
    if (r_.pos() + n > size_) Fail("ends early (the checkpoint is truncated)");
  }

  ByteReader r_;
  size_t size_;
  std::string file_;
  std::vector<std::shared_ptr<void>> shared_;  // buffers read so far, by id - 1
};

}  // namespace moefab
