// An expert slot's engine as the chip model sees it: int8 x in, int8 y out, cycles taken.
// Two implementations: the Verilated RTL of chips/rtl/expert_engine.sv (bits and cycles from
// the RTL) and the golden engine (GoldenExpert bits, ExpertJobCycles time).
// Omits: queueing and overlap between jobs (the caller schedules jobs), energy, clocks (the
// caller turns Cycles into Ticks with its ClockDomain).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chips/expert_weights.h"
#include "runtime/core/types.h"

namespace moefab::chips {

/// One expert slot's engine. Not thread-safe: one thread drives each engine. An idle engine
/// costs nothing; RTL is only evaluated inside Run.
class ExpertEngine {
 public:
  virtual ~ExpertEngine() = default;
  /// y = expert(x); returns the cycles the job took on the chip. x.size() and y.size() must
  /// equal shape().d_model (checked with MOEFAB_CHECK).
  virtual Cycles Run(std::span<const std::int8_t> x, std::span<std::int8_t> y) = 0;
  virtual const ExpertShape& shape() const = 0;
  /// Total cycles evaluated in RTL so far, including reset and weight loading (0 for golden).
  virtual std::uint64_t rtl_cycles_simulated() const = 0;
};

/// Verilated RTL engine; weights are loaded into its ROM at construction. Throws ConfigError
/// naming the shape and lanes and the available builds when no Verilated build exists for
/// them, and when the weights are null or invalid.
std::unique_ptr<ExpertEngine> MakeRtlExpertEngine(std::shared_ptr<const ExpertWeights> w,
                                                  std::uint32_t lanes);

/// Golden engine: GoldenExpert for the bits, ExpertJobCycles for the time. Throws ConfigError
/// when the weights are null or invalid or lanes is 0.
std::unique_ptr<ExpertEngine> MakeGoldenExpertEngine(std::shared_ptr<const ExpertWeights> w,
                                                     std::uint32_t lanes);

/// The (D, I, lanes) shapes for which a Verilated build is linked in, e.g. "64x128x8"
/// (set at configure time by the CMake cache variable MOEFAB_RTL_SHAPES).
std::vector<std::string> AvailableRtlBuilds();

}  // namespace moefab::chips
