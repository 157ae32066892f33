// Quantisers (INT4 / INT3 round trip, MXFP4 hand-worked blocks), requant derivation, the act LUT,
// calibration and the measured quantisation error per format.
#include "chips/numerics/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "chips/numerics/float_reference.h"
#include "chips/numerics/golden_expert.h"
#include "core/error.h"

namespace moefab::chips {
namespace {

TEST(QuantizeWeights, IntRoundTripWithinHalfAStep) {
  const FloatExpert f = MakeSyntheticFloatExpert({100, 36}, Activation::kSwiGlu, 4);
  for (const WeightFormat fmt : {WeightFormat::kInt4, WeightFormat::kInt3}) {
    const QuantizedWeights q = QuantizeWeights(f.w_gate, 36, 100, fmt);
    const int q_max = fmt == WeightFormat::kInt4 ? 7 : 3;
    for (std::uint32_t r = 0; r < 36; ++r) {
      const double s = q.row_scale[r];
      double amax = 0;
      for (std::uint32_t c = 0; c < 100; ++c) {
        const float w = f.w_gate[r * 100 + c];
        amax = std::max(amax, std::abs(double{w}));
        ASSERT_LE(std::abs(q.matrix.q[r * 100 + c] * s - w), s / 2 + 1e-12) << r << " " << c;
      }
      EXPECT_DOUBLE_EQ(s, amax / q_max);
    }
    EXPECT_TRUE(q.matrix.block_exp.empty());
  }
}

TEST(QuantizeWeights, IntHandWorkedTiesToEven) {
  // s = 1.75 / 7 = 0.25: 7, -2.5 -> -2, 0.5 -> 0, 2.5 -> 2, -3.5 -> -4.
  const std::vector<float> row = {1.75f, -0.625f, 0.125f, 0.625f, -0.875f};
  const QuantizedWeights q4 = QuantizeWeights(row, 1, 5, WeightFormat::kInt4);
  EXPECT_EQ(q4.matrix.q, (std::vector<std::int8_t>{7, -2, 0, 2, -4}));
  EXPECT_DOUBLE_EQ(q4.row_scale[0], 0.25);
  // INT3: s = 1.75 / 3; -0.875 / s = -1.5 -> -2; a value of -1.75 would give -3 (never -4
  // from max / 3 scaling, but clamped anyway).
  const std::vector<float> row3 = {1.5f, -0.75f, -1.5f, 0.25f};
  const QuantizedWeights q3 = QuantizeWeights(row3, 1, 4, WeightFormat::kInt3);
  EXPECT_EQ(q3.matrix.q, (std::vector<std::int8_t>{3, -2, -3, 0}));  // s = 0.5: -1.5 -> -2
  const std::vector<float> zero = {0, 0};
  EXPECT_EQ(QuantizeWeights(zero, 1, 2, WeightFormat::kInt4).row_scale[0], 1.0);
}

TEST(QuantizeE2M1, GridTiesAndSaturation) {
  EXPECT_EQ(QuantizeE2M1(0.0), 0);
  EXPECT_EQ(QuantizeE2M1(-0.0), 0);
  EXPECT_EQ(QuantizeE2M1(0.25), 0);  // tie 0 / 0.5 -> 0 (even)
  EXPECT_EQ(QuantizeE2M1(0.26), 1);
  EXPECT_EQ(QuantizeE2M1(0.75), 2);  // tie 0.5 / 1 -> 1 (code 2)
  EXPECT_EQ(QuantizeE2M1(1.25), 2);  // tie 1 / 1.5 -> 1
  EXPECT_EQ(QuantizeE2M1(1.75), 4);  // tie 1.5 / 2 -> 2
  EXPECT_EQ(QuantizeE2M1(2.5), 4);   // tie 2 / 3 -> 2
  EXPECT_EQ(QuantizeE2M1(3.5), 6);   // tie 3 / 4 -> 4
  EXPECT_EQ(QuantizeE2M1(5.0), 6);   // tie 4 / 6 -> 4
  EXPECT_EQ(QuantizeE2M1(5.01), 7);
  EXPECT_EQ(QuantizeE2M1(6.0), 7);
  EXPECT_EQ(QuantizeE2M1(100.0), 7);  // saturates at 6
  EXPECT_EQ(QuantizeE2M1(-100.0), 15);
  EXPECT_EQ(QuantizeE2M1(-1.25), 10);
  EXPECT_EQ(QuantizeE2M1(-0.2), 0);  // rounds to zero: no -0 code
  for (std::uint8_t c = 0; c < 16; ++c) {
    if (c == 8) continue;
    EXPECT_EQ(QuantizeE2M1(E2M1Value(c)), c);
  }
}

TEST(QuantizeWeights, Mxfp4HandWorkedBlocks) {
  // 4 blocks of one row of 128: exponent choice, ties, saturation at 6, all-zero block.
  std::vector<float> row(128, 0.0f);
  // Block 0: max 6 -> floor(log2 6) - 2 = 0 -> E 127; 5 -> 4, 2.5 -> 2, 0.75 -> 1, -3.5 -> -4.
  row[0] = 6.0f;
  row[1] = 5.0f;
  row[2] = 2.5f;
  row[3] = 0.75f;
  row[4] = -3.5f;
  row[5] = 0.25f;
  // Block 1: max 7.9 -> exponent 0, 7.9 saturates to 6.
  row[32] = 7.9f;
  row[33] = -1.25f;
  // Block 2: max 0.1 -> floor(log2 0.1) = -4 -> exponent -6 (E 121): 0.1 * 64 = 6.4 -> 6.
  row[64] = 0.1f;
  row[65] = 0.03125f;  // 2.0 -> code 4
  // Block 3: all zero -> E 0.
  const QuantizedWeights q = QuantizeWeights(row, 1, 128, WeightFormat::kMxfp4);
  EXPECT_EQ(q.matrix.block_exp, (std::vector<std::uint8_t>{127, 127, 121, 0}));
  const auto& c = q.matrix.q;
  EXPECT_EQ(c[0], 7);
  EXPECT_EQ(c[1], 6);
  EXPECT_EQ(c[2], 4);
  EXPECT_EQ(c[3], 2);
  EXPECT_EQ(c[4], 14);
  EXPECT_EQ(c[5], 0);
  EXPECT_EQ(c[32], 7);
  EXPECT_EQ(c[33], 10);
  EXPECT_EQ(c[64], 7);
  EXPECT_EQ(c[65], 4);
  for (int k = 96; k < 128; ++k) EXPECT_EQ(c[k], 0);
  // Row scale: 2^(Emax - 127) / 2 / 2^6.
  EXPECT_DOUBLE_EQ(q.row_scale[0], std::ldexp(1.0, -7));
  // Exact dequantisation of the codes.
  const std::vector<float> dq = DequantizeMxfp4(q.matrix);
  EXPECT_EQ(dq[1], 4.0f);
  EXPECT_EQ(dq[64], 6.0f / 64);
  // Exponent 8 -> floor(log2 8) - 2 = 1 -> E 128; and an all-zero row gets E 127 everywhere.
  std::vector<float> two(64, 0.0f);
  two[0] = 8.0f;
  EXPECT_EQ(QuantizeWeights(two, 1, 64, WeightFormat::kMxfp4).matrix.block_exp, (std::vector<std::uint8_t>{128, 0}));
  std::vector<float> zeros(40, 0.0f);
  EXPECT_EQ(QuantizeWeights(zeros, 1, 40, WeightFormat::kMxfp4).matrix.block_exp,
            (std::vector<std::uint8_t>{127, 127}));
  // Tiny values clamp E8M0 at 0.
  std::vector<float> tiny(32, 0.0f);
  tiny[0] = 1e-40f;
  EXPECT_EQ(QuantizeWeights(tiny, 1, 32, WeightFormat::kMxfp4).matrix.block_exp[0], 0);
}

TEST(DeriveRequant, NormalisedMultiplierAndShiftRanges) {
  Requant r = DeriveRequant(0.75, 10, 62);
  EXPECT_EQ(r.mult, 12582912);  // 0.75 * 2^24
  EXPECT_EQ(r.shift, 24);
  r = DeriveRequant(1.0e-3, 10, 62);
  EXPECT_GE(r.mult, 1 << 23);
  EXPECT_LT(r.mult, 1 << 24);
  EXPECT_NEAR(std::ldexp(r.mult, -r.shift), 1.0e-3, 1.0e-3 * 1.0e-7);
  r = DeriveRequant(std::ldexp(1.0, 13), 10, 62);  // needs shift 10 exactly
  EXPECT_EQ(r.mult, 1 << 23);
  EXPECT_EQ(r.shift, 10);
  EXPECT_THROW((void)DeriveRequant(std::ldexp(1.0, 14), 10, 62), ConfigError);
  r = DeriveRequant(1e-30, 1, 62);  // below range: shift 62, tiny or zero multiplier
  EXPECT_EQ(r.shift, 62);
  EXPECT_EQ(r.mult, 0);
  r = DeriveRequant(0.0, 10, 62);
  EXPECT_EQ(r.mult, 0);
  EXPECT_EQ(r.shift, 10);
  r = DeriveRequant(1.0 - 1e-12, 1, 62);  // rounds up to 2^24: renormalised
  EXPECT_EQ(r.mult, 1 << 23);
  EXPECT_EQ(r.shift, 23);
}

TEST(ActivationLut, SiluAndClamped) {
  const auto silu = MakeActivationLut(Activation::kSwiGlu, 1.0 / 32, 1.0 / 32);
  EXPECT_EQ(silu[0], 0);
  EXPECT_EQ(silu[64], static_cast<std::int8_t>(std::nearbyint(32 * 2.0 / (1 + std::exp(-2.0)))));
  EXPECT_EQ(silu[static_cast<std::uint8_t>(-128)], std::nearbyint(32 * -4 / (1 + std::exp(4.0))));
  const ActivationScales s = CalibrateActivationScales(
      MakeSyntheticFloatExpert({64, 128}, Activation::kSwiGluClamped, 1), {64, 128}, Activation::kSwiGluClamped);
  EXPECT_EQ(s.gate, 1.0 / 16);
  EXPECT_EQ(s.up, 1.0 / 16);
  const auto lut = MakeActivationLut(Activation::kSwiGluClamped, s.gate, s.act);
  EXPECT_EQ(lut[112], lut[127]);  // min(g, 7): flat above 7.0
  EXPECT_EQ(lut[127], 127);       // s_a = max |act| / 127
  EXPECT_LT(lut[static_cast<std::uint8_t>(-16)], 0);
}

TEST(QuantizeExpert, GptOssClampConstantsAndBiases) {
  const ExpertWeights w = MakeSyntheticExpertWeights({64, 128}, WeightFormat::kMxfp4, Activation::kSwiGluClamped, 9);
  EXPECT_EQ(w.u_clamp, 112);  // 7 / (1/16)
  EXPECT_EQ(w.u_offset, 16);  // 1 / (1/16)
  EXPECT_EQ(w.gate.bias.size(), 128u);
  EXPECT_EQ(w.down.bias.size(), 64u);
  ASSERT_NE(w.reference, nullptr);
  EXPECT_EQ(w.reference->b_gate.size(), 128u);
  const ExpertWeights s = MakeSyntheticExpertWeights({64, 128}, WeightFormat::kInt4, Activation::kSwiGlu, 9);
  EXPECT_EQ(s.u_clamp, 128);
  EXPECT_EQ(s.u_offset, 0);
  EXPECT_TRUE(s.gate.bias.empty());
  for (std::uint32_t r = 0; r < 128; ++r) {
    EXPECT_GE(s.gate.mult[r], 1 << 23) << r;  // normalised: the shift range allowed it
  }
}

TEST(QuantizeExpert, DeterministicPerSeed) {
  const ExpertShape shape{40, 72};
  const FloatExpert a = MakeSyntheticFloatExpert(shape, Activation::kSwiGlu, 5);
  const FloatExpert b = MakeSyntheticFloatExpert(shape, Activation::kSwiGlu, 5);
  const FloatExpert c = MakeSyntheticFloatExpert(shape, Activation::kSwiGlu, 6);
  EXPECT_EQ(a.w_gate, b.w_gate);
  EXPECT_EQ(a.w_down, b.w_down);
  EXPECT_NE(a.w_gate, c.w_gate);
  const ExpertWeights qa = QuantizeExpert(a, shape, WeightFormat::kInt4, Activation::kSwiGlu);
  const ExpertWeights qb = QuantizeExpert(b, shape, WeightFormat::kInt4, Activation::kSwiGlu);
  EXPECT_EQ(qa.gate.mult, qb.gate.mult);
  EXPECT_EQ(qa.act_lut, qb.act_lut);
  EXPECT_EQ(qa.mult_prod, qb.mult_prod);
}

TEST(QuantizeExpert, BadFloatExpertIsConfigError) {
  FloatExpert f = MakeSyntheticFloatExpert({40, 72}, Activation::kSwiGlu, 1);
  f.w_up.pop_back();
  EXPECT_THROW((void)QuantizeExpert(f, {40, 72}, WeightFormat::kInt4, Activation::kSwiGlu), ConfigError);
  f = MakeSyntheticFloatExpert({40, 72}, Activation::kSwiGlu, 1);
  f.w_down[3] = std::nanf("");
  try {
    (void)QuantizeExpert(f, {40, 72}, WeightFormat::kInt4, Activation::kSwiGlu);
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("w_down[3]"), std::string::npos) << e.what();
  }
}

TEST(MeasureQuantError, CosinePerFormat) {
  const ExpertShape shape{64, 128};
  double cos[3] = {};
  for (const Activation act : {Activation::kSwiGlu, Activation::kSwiGluClamped}) {
    for (int f = 0; f < 3; ++f) {
      const ExpertWeights w = MakeSyntheticExpertWeights(shape, static_cast<WeightFormat>(f), act, 42);
      const QuantError q = MeasureQuantError(w, 32, 7);
      cos[f] = q.cosine;
      EXPECT_EQ(q.samples, 32u);
      EXPECT_GT(q.max_abs, 0);
      EXPECT_GT(q.rms, 0);
      EXPECT_LE(q.rms, q.max_abs);
      RecordProperty(std::string(WeightFormatName(static_cast<WeightFormat>(f))) +
                         (act == Activation::kSwiGlu ? "_swiglu" : "_clamped"),
                     std::to_string(q.cosine));
    }
    EXPECT_GT(cos[0], 0.97);    // INT4
    EXPECT_GT(cos[2], 0.97);    // MXFP4
    EXPECT_LT(cos[1], cos[0]);  // INT3 costs more
    EXPECT_GT(cos[1], 0.85);
  }
  ExpertWeights w = MakeSyntheticExpertWeights(shape, WeightFormat::kInt4, Activation::kSwiGlu, 1);
  w.reference = nullptr;
  EXPECT_THROW((void)MeasureQuantError(w, 1, 1), ConfigError);
}

TEST(FloatReference, ClampedActivationMatchesGptOssFormula) {
  EXPECT_DOUBLE_EQ(ActivationFunction(Activation::kSwiGluClamped, 9.0), 7.0 / (1 + std::exp(-1.702 * 7.0)));
  EXPECT_DOUBLE_EQ(ActivationFunction(Activation::kSwiGluClamped, -2.0), -2.0 / (1 + std::exp(1.702 * 2.0)));
  EXPECT_DOUBLE_EQ(UpTransform(Activation::kSwiGluClamped, -9.0), -6.0);
  EXPECT_DOUBLE_EQ(UpTransform(Activation::kSwiGluClamped, 0.5), 1.5);
  EXPECT_DOUBLE_EQ(UpTransform(Activation::kSwiGlu, 9.0), 9.0);
  // A 1 x 1 expert by hand: g = 2 x + 1, u = 3 x, y = 0.5 m - 1.
  FloatExpert f;
  f.w_gate = {2};
  f.w_up = {3};
  f.w_down = {0.5};
  f.b_gate = {1};
  f.b_up = {0};
  f.b_down = {-1};
  std::vector<double> x = {1.0}, y(1);
  FloatExpertForward(f, Activation::kSwiGlu, x, y);
  EXPECT_DOUBLE_EQ(y[0], 0.5 * (3.0 / (1 + std::exp(-3.0))) * 3.0 - 1.0);
}

}  // namespace
}  // namespace moefab::chips
