// The bit-exact golden datapath of one expert slot (chips/numerics/NUMERICS.md): dispatch
// quantisation of the residual stream, the INT4 / INT3 / MXFP4 mat-vecs, requantisation, the
// SwiGLU / gpt-oss clamped SwiGLU activation and the int16 output. This file defines the bits;
// the RTL and every fast kernel must match them.
// Two implementations: GoldenExpertScalar (obviously-correct loops over ExpertWeights, for
// tests) and the fast path (PreparedExpert: weights repacked once into nibble-packed 8-row
// groups, AVX2 kernels chosen at run time, portable fallback), which SAMPLED fidelity runs for
// every job. Omits: timing (the pipeline model is elsewhere), the combine (router).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chips/numerics/expert_weights.h"

namespace moefab::chips {

/// Saturate to the int16 range [-32768, 32767].
[[nodiscard]] constexpr std::int16_t SatInt16(std::int64_t v) {
  return static_cast<std::int16_t>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

/// The per-token dispatch exponent of NUMERICS.md: the smallest e in [0, 9] such that
/// |RoundShift(h_j, e)| <= 127 for all j (9 if none). An empty h gives 0.
[[nodiscard]] std::uint8_t DispatchExponent(std::span<const std::int16_t> h);

/// x_j = SatInt8(RoundShift(h_j, e)). x.size() must equal h.size(); e <= 9.
void QuantizeForDispatch(std::span<const std::int16_t> h, std::uint8_t e, std::span<std::int8_t> x);

/// Obviously-correct reference loops over ExpertWeights (NUMERICS.md step by step, int64).
/// Validates w (ConfigError); x.size() and y.size() must equal d_model, e <= 9.
void GoldenExpertScalar(const ExpertWeights& w, std::span<const std::int8_t> x, std::uint8_t e,
                        std::span<std::int16_t> y);

/// Which mat-vec kernels a PreparedExpert uses. kAuto: AVX2 when the CPU has it.
enum class GoldenKernel : std::uint8_t { kAuto = 0, kPortable = 1, kAvx2 = 2 };

/// True when `k` can run on this CPU (kAuto and kPortable always can).
[[nodiscard]] bool GoldenKernelAvailable(GoldenKernel k);

/// One weight matrix in the fast kernels' layout (private to golden_expert.cc and the kernels).
struct PreparedMatrix {
  std::uint32_t rows = 0;    // output channels R
  std::uint32_t cols = 0;    // input elements C
  std::uint32_t groups = 0;  // ceil(R / 8): rows are processed 8 at a time
  std::uint32_t blocks = 0;  // ceil(C / 32): columns are processed 32 at a time
  bool mx = false;           // MXFP4 (codes, per-block shifts) instead of INT4 / INT3
  /// [groups][blocks][4 row pairs (i, i + 4)][2 rows][16 bytes]: byte k of a row's block holds
  /// the nibbles of elements k (low) and k + 16 (high). INT: nibble = q + 8; MX: the E2M1 code.
  /// Padding (rows >= R, columns >= C) is weight 0.
  std::vector<std::uint8_t> codes;
  std::vector<std::uint8_t> mx_shift;  // MX: [groups][blocks][8] min(Emax_r - E[r][b], 24)
  std::vector<std::int16_t> mx_sum;    // MX: [groups][blocks][8] sum of val2 over the block
  std::vector<std::int32_t> mult;      // [R] requant multiplier
  std::vector<std::uint8_t> shift;     // [R] requant shift (bits)
  std::vector<std::int32_t> bias;      // [R] accumulator units at e = 0 (zeros if none)
};

/// An expert repacked for the fast golden kernels; immutable once built, so one instance may
/// be shared by any number of threads. Build it once per expert slot (PrepareGolden) and run
/// every job through GoldenExpert(const PreparedExpert&, ...).
class PreparedExpert {
 public:
  PreparedExpert(const ExpertWeights& w, GoldenKernel kernel);  // w must be valid
  [[nodiscard]] ExpertShape shape() const { return shape_; }
  [[nodiscard]] WeightFormat format() const { return format_; }
  [[nodiscard]] GoldenKernel kernel() const { return kernel_; }  // never kAuto
  /// Bytes of the packed weights (for the benchmark's bandwidth figures).
  [[nodiscard]] std::size_t weight_bytes() const;
  /// y = expert(x, e); x.size() and y.size() must equal d_model, e <= 9.
  void Run(std::span<const std::int8_t> x, std::uint8_t e, std::span<std::int16_t> y) const;

 private:
  ExpertShape shape_;                     // D, I
  WeightFormat format_;                   // INT4 / INT3 / MXFP4
  Activation activation_;                 // for documentation; folded into the constants
  GoldenKernel kernel_;                   // kPortable or kAvx2
  PreparedMatrix gate_, up_, down_;       // the three matrices in kernel layout
  std::array<std::int8_t, 256> act_lut_;  // a = act_lut_[uint8(g)]
  std::int16_t u_clamp_;                  // |u| clamp before the offset
  std::int16_t u_offset_;                 // added to the clamped u
  std::int32_t mult_prod_;                // requant of a * uc
  std::uint8_t shift_prod_;               // bits
};

/// Validates w (ConfigError naming `what`) and repacks it. Costs about one pass over the
/// weights; kAvx2 on a CPU without AVX2 is a ConfigError.
[[nodiscard]] std::shared_ptr<const PreparedExpert> PrepareGolden(const ExpertWeights& w,
                                                                  GoldenKernel kernel = GoldenKernel::kAuto,
                                                                  const std::string& what = "expert");

/// The fast golden datapath: y = expert(x, e), bit-identical to GoldenExpertScalar.
void GoldenExpert(const PreparedExpert& p, std::span<const std::int8_t> x, std::uint8_t e, std::span<std::int16_t> y);

/// Convenience form: PrepareGolden(w) then Run. Repacks the weights on every call, so hot
/// paths (SAMPLED fidelity) keep a PreparedExpert per slot instead.
void GoldenExpert(const ExpertWeights& w, std::span<const std::int8_t> x, std::uint8_t e, std::span<std::int16_t> y);

}  // namespace moefab::chips
