#include "chips/expert_weights.h"

#include <cmath>
#include <sstream>
#include <string>

#include "runtime/core/error.h"
#include "runtime/core/rng.h"

namespace moefab::chips {
namespace {

constexpr double kInt4Std = 4.6097722286464435;  // sqrt(21.25), std of uniform int4 [-8, 7]
constexpr double kInputStd = 30.0;               // typical std of the int8 activations
constexpr double kTargetStd = 32.0;              // desired std of g, u, y
constexpr std::uint8_t kSyntheticShift = 24;     // every synthetic shift

std::string ShapeString(ExpertShape s) {
  return std::to_string(s.d_model) + "x" + std::to_string(s.width);
}

void FillInt4(SplitMix64& rng, std::vector<std::int8_t>& v, std::size_t n) {
  v.resize(n);
  for (auto& e : v) e = static_cast<std::int8_t>(rng.Uniform(-8, 7));
}

void FillMults(SplitMix64& rng, std::vector<std::int32_t>& v, std::size_t n, std::uint32_t k) {
  const double scale = kTargetStd / (std::sqrt(static_cast<double>(k)) * kInt4Std * kInputStd);
  v.resize(n);
  for (auto& e : v) {
    const double m = std::ldexp(scale, kSyntheticShift) * (0.75 + 0.5 * rng.UniformDouble());
    const double clamped = std::fmin(std::fmax(std::round(m), 1.0), kMaxRequantMult - 1.0);
    e = static_cast<std::int32_t>(clamped);
  }
}

void CheckSize(const char* field, std::size_t found, std::size_t expected, const char* formula,
               ExpertShape s) {
  if (found == expected) return;
  std::ostringstream os;
  os << "ExpertWeights (shape " << ShapeString(s) << "): " << field << " has " << found
     << " entries, expected " << formula << " = " << expected;
  throw ConfigError(os.str());
}

void CheckInt4(const char* field, const std::vector<std::int8_t>& v, std::uint32_t cols,
               ExpertShape s) {
  for (std::size_t n = 0; n < v.size(); ++n) {
    if (v[n] >= -8 && v[n] <= 7) continue;
    std::ostringstream os;
    os << "ExpertWeights (shape " << ShapeString(s) << "): " << field << "[" << n / cols << "]["
       << n % cols << "]=" << int{v[n]} << ": outside the int4 range [-8, 7]";
    throw ConfigError(os.str());
  }
}

void CheckMult(const std::string& field, std::int32_t m, ExpertShape s) {
  if (m >= 1 && m < kMaxRequantMult) return;
  std::ostringstream os;
  os << "ExpertWeights (shape " << ShapeString(s) << "): " << field << "=" << m
     << ": requant multiplier must be in [1, 2^24)";
  throw ConfigError(os.str());
}

void CheckMults(const char* field, const std::vector<std::int32_t>& v, ExpertShape s) {
  for (std::size_t n = 0; n < v.size(); ++n) {
    CheckMult(std::string(field) + "[" + std::to_string(n) + "]", v[n], s);
  }
}

void CheckShift(const char* field, std::uint8_t sh, ExpertShape s) {
  if (sh >= kMinRequantShift && sh <= kMaxRequantShift) return;
  std::ostringstream os;
  os << "ExpertWeights (shape " << ShapeString(s) << "): " << field << "=" << int{sh}
     << ": requant shift must be in [" << int{kMinRequantShift} << ", "
     << int{kMaxRequantShift} << "]";
  throw ConfigError(os.str());
}

}  // namespace

std::array<std::int8_t, 256> MakeSiluLut() {
  std::array<std::int8_t, 256> lut{};
  for (int b = 0; b < 256; ++b) {
    const int g = b < 128 ? b : b - 256;  // two's complement byte -> int8
    const double real = g / 32.0;
    const double silu = real / (1.0 + std::exp(-real));
    const long q = std::lround(silu * 32.0);
    lut[static_cast<std::size_t>(b)] = SatInt8(q);
  }
  return lut;
}

ExpertWeights MakeSyntheticExpertWeights(ExpertShape shape, std::uint64_t seed) {
  ExpertWeights w;
  w.shape = shape;
  SplitMix64 rng(seed);
  const std::size_t d = shape.d_model;
  const std::size_t i = shape.width;
  FillInt4(rng, w.w_gate, i * d);
  FillInt4(rng, w.w_up, i * d);
  FillInt4(rng, w.w_down, d * i);
  FillMults(rng, w.mult_gate, i, shape.d_model);
  FillMults(rng, w.mult_up, i, shape.d_model);
  FillMults(rng, w.mult_down, d, shape.width);
  w.shift_gate = kSyntheticShift;
  w.shift_up = kSyntheticShift;
  w.shift_down = kSyntheticShift;
  w.silu_lut = MakeSiluLut();
  // a (scale 1/32) * u (scale 1/32) has scale 1/1024; m at scale 1/64 is a*u / 16.
  w.mult_prod = std::int32_t{1} << (kSyntheticShift - 4);
  w.shift_prod = kSyntheticShift;
  return w;
}

void ValidateExpertWeights(const ExpertWeights& w) {
  const ExpertShape s = w.shape;
  if (s.d_model < 1 || s.d_model > kMaxExpertDim || s.width < 1 || s.width > kMaxExpertDim) {
    std::ostringstream os;
    os << "ExpertWeights: shape " << ShapeString(s) << " (d_model x width): each must be in [1, "
       << kMaxExpertDim << "]";
    throw ConfigError(os.str());
  }
  const std::size_t d = s.d_model;
  const std::size_t i = s.width;
  CheckSize("w_gate", w.w_gate.size(), i * d, "width*d_model", s);
  CheckSize("w_up", w.w_up.size(), i * d, "width*d_model", s);
  CheckSize("w_down", w.w_down.size(), d * i, "d_model*width", s);
  CheckSize("mult_gate", w.mult_gate.size(), i, "width", s);
  CheckSize("mult_up", w.mult_up.size(), i, "width", s);
  CheckSize("mult_down", w.mult_down.size(), d, "d_model", s);
  CheckInt4("w_gate", w.w_gate, s.d_model, s);
  CheckInt4("w_up", w.w_up, s.d_model, s);
  CheckInt4("w_down", w.w_down, s.width, s);
  CheckMults("mult_gate", w.mult_gate, s);
  CheckMults("mult_up", w.mult_up, s);
  CheckMults("mult_down", w.mult_down, s);
  CheckMult("mult_prod", w.mult_prod, s);
  CheckShift("shift_gate", w.shift_gate, s);
  CheckShift("shift_up", w.shift_up, s);
  CheckShift("shift_down", w.shift_down, s);
  CheckShift("shift_prod", w.shift_prod, s);
}

}  // namespace moefab::chips
