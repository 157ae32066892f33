// The engine's internals (runtime/pdes/engine.h is the contract): a cheap cycle counter for its
// time accounting, the payload slabs and the lookup of a payload type's index.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace moefab::pdes {

namespace detail {

// A cheap cycle counter for the engine's time accounting (rdtsc where there is one; a few ns
// against ~25 for the clock). Converted to seconds with the wall time of the whole run.
inline uint64_t Cycles() {
#if defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#else
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Cycles of one run, split by where they went.
struct CycleTally {
  uint64_t start = Cycles();
  uint64_t work = 0, background = 0, wait = 0;
  // Seconds of `cycles`, given the run's wall seconds.
  double Seconds(uint64_t cycles, double wall_seconds) const;
};

// Storage for payloads of one type: fixed-size chunks (stable addresses while handlers
// schedule more), a free list, construction on push and destruction after handling.
template <class T>
class Slab {
 public:
  static constexpr uint32_t kChunkBits = 10;
  uint32_t Put(T&& value) {
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = size_++;
      if ((slot >> kChunkBits) >= chunks_.size()) chunks_.push_back(std::make_unique<Cell[]>(size_t{1} << kChunkBits));
    }
    new (At(slot)) T(std::move(value));
    return slot;
  }
  T& operator[](uint32_t slot) { return *std::launder(reinterpret_cast<T*>(At(slot))); }
  void Release(uint32_t slot) {
    (*this)[slot].~T();
    free_.push_back(slot);
  }

 private:
  struct alignas(T) Cell {
    std::byte bytes[sizeof(T)];
  };
  void* At(uint32_t slot) { return chunks_[slot >> kChunkBits][slot & ((1u << kChunkBits) - 1)].bytes; }
  std::vector<std::unique_ptr<Cell[]>> chunks_;
  std::vector<uint32_t> free_;  // slots to reuse
  uint32_t size_ = 0;           // slots ever used (live payloads are released by the engine)
};

template <class T, class... P>
constexpr uint8_t IndexOf() {
  constexpr bool same[] = {std::is_same_v<T, P>...};
  for (uint8_t i = 0; i < sizeof...(P); ++i)
    if (same[i]) return i;
  return 0xFF;
}

}  // namespace detail

}  // namespace moefab::pdes
