// Core vocabulary shared by every layer: simulated time, identifiers and small value types.
// Nothing here knows about MPI, Verilator, protobuf or the fabric; every layer may include it.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace moefab {

/// Simulated time in integer picoseconds. Global across the whole cluster.
using Tick = std::uint64_t;
inline constexpr Tick kTickMax = std::numeric_limits<Tick>::max();
inline constexpr Tick kPsPerNs = 1000;

/// A count of clock cycles of one clock domain. Strong type so it never mixes with Tick.
struct Cycles {
  std::uint64_t value = 0;  // cycles
  constexpr Cycles() = default;
  constexpr explicit Cycles(std::uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Cycles&) const = default;
  constexpr Cycles operator+(Cycles o) const { return Cycles(value + o.value); }
  constexpr Cycles& operator+=(Cycles o) {
    value += o.value;
    return *this;
  }
};

/// A clock with an integer period in picoseconds; the only place Cycles become Ticks.
struct ClockDomain {
  Tick period_ps = 1000;  // ps per cycle
  [[nodiscard]] constexpr Tick ToTicks(Cycles c) const { return c.value * period_ps; }
};

/// Index of a torus node (== the chip at that node). Dense, 0..num_nodes-1.
using NodeId = std::uint32_t;
inline constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();

/// Index of an MPI rank.
using RankId = std::uint32_t;

/// Rounded arithmetic right shift: round half up (towards +inf), as the RTL does with
/// `(x + (1 << (s-1))) >>> s`. s == 0 returns x unchanged.
[[nodiscard]] constexpr std::int64_t RoundShift(std::int64_t x, unsigned s) {
  if (s == 0) return x;
  return (x + (std::int64_t{1} << (s - 1))) >> s;
}

/// Saturate to the int8 range [-128, 127].
[[nodiscard]] constexpr std::int8_t SatInt8(std::int64_t x) {
  return static_cast<std::int8_t>(x < -128 ? -128 : (x > 127 ? 127 : x));
}

/// Saturate to the int16 range [-32768, 32767].
[[nodiscard]] constexpr std::int16_t SatInt16(std::int64_t x) {
  return static_cast<std::int16_t>(x < -32768 ? -32768 : (x > 32767 ? 32767 : x));
}

}  // namespace moefab
