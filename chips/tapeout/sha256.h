// SHA-256 (FIPS 180-4) for the content hashes that key the hardwired / on-demand RTL build
// cache. Incremental: Update() any number of times, then Hex(). Not constant-time (not used
// for secrets).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace moefab::chips::tapeout {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, std::size_t bytes);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  /// Adds a value in a fixed little-endian byte order (hashes must not depend on the host).
  void UpdateU64(std::uint64_t v);
  /// Adds a length-prefixed string, so that ("ab", "c") and ("a", "bc") hash differently.
  void UpdateField(std::string_view s);
  /// Finishes and returns the digest as 64 lowercase hex digits. Call once.
  std::string Hex();

 private:
  void Block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;      // chaining state
  std::array<std::uint8_t, 64> buf_{};  // pending partial block
  std::size_t buf_len_ = 0;             // bytes in buf_
  std::uint64_t total_bytes_ = 0;       // message length so far
};

}  // namespace moefab::chips::tapeout
