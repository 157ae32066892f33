// Quantisers, calibration, requant derivation and synthetic experts (see quantize.h).
#include "chips/numerics/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "core/types.h"

namespace moefab::chips {

namespace {

std::uint32_t Blocks(std::uint32_t cols) {
  return (cols + kMxBlock - 1) / kMxBlock;
}

// y[r] = sum_c w[r][c] * x[c] + b[r] in double.
void Project(const std::vector<float>& w, const std::vector<float>& b, std::uint32_t rows, std::uint32_t cols,
             const std::vector<double>& x, std::vector<double>& y) {
  y.assign(rows, 0.0);
  for (std::uint32_t r = 0; r < rows; ++r) {
    const float* wr = w.data() + std::size_t{r} * cols;
    double s = b.empty() ? 0.0 : b[r];
    for (std::uint32_t c = 0; c < cols; ++c) s += double{wr[c]} * x[c];
    y[r] = s;
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0.0;
  const auto n = static_cast<double>(v.size());
  auto k = static_cast<std::size_t>(std::ceil(p * n));
  k = std::clamp<std::size_t>(k, 1, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::int32_t SatInt32(double v) {
  if (v >= 2147483647.0) return std::numeric_limits<std::int32_t>::max();
  if (v <= -2147483648.0) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(std::nearbyint(v));
}

void CheckSize(const std::string& what, const char* field, std::size_t size, std::size_t expected, bool optional) {
  if (size == expected || (optional && size == 0)) return;
  std::ostringstream os;
  os << what << ": " << field << ".size()=" << size << ": expected " << expected
     << (optional ? " (or 0 for no bias)" : "");
  throw ConfigError(os.str());
}

void CheckFinite(const std::string& what, const char* field, const std::vector<float>& v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      std::ostringstream os;
      os << what << ": " << field << "[" << i << "]=" << v[i] << ": expected a finite value";
      throw ConfigError(os.str());
    }
  }
}

void FinishMatrix(QuantizedWeights& qw, const std::vector<float>& bias, double in_scale, double out_scale,
                  std::uint8_t min_shift, const std::string& what, const char* name) {
  QuantMatrix& m = qw.matrix;
  m.mult.resize(m.rows);
  m.shift.resize(m.rows);
  m.bias.clear();
  if (!bias.empty()) m.bias.resize(m.rows);
  for (std::uint32_t r = 0; r < m.rows; ++r) {
    const double unit = qw.row_scale[r] * in_scale;  // real value of one accumulator unit
    const Requant rq =
        DeriveRequant(unit / out_scale, min_shift, kMaxRequantShift, what + ": " + name + " row " + std::to_string(r));
    m.mult[r] = rq.mult;
    m.shift[r] = rq.shift;
    if (!bias.empty()) m.bias[r] = unit > 0 ? SatInt32(bias[r] / unit) : 0;
  }
}

}  // namespace

double NextGaussian(SplitMix64& rng) {
  const double u1 = 1.0 - rng.UniformDouble();  // (0, 1]
  const double u2 = rng.UniformDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

double ActivationFunction(Activation act, double g) {
  if (act == Activation::kSwiGluClamped) {
    const double gc = std::min(g, kGptOssLimit);
    return gc / (1.0 + std::exp(-kGptOssAlpha * gc));
  }
  return g / (1.0 + std::exp(-g));
}

double UpTransform(Activation act, double u) {
  if (act == Activation::kSwiGluClamped) return std::clamp(u, -kGptOssLimit, kGptOssLimit) + 1.0;
  return u;
}

void ValidateFloatExpert(const FloatExpert& f, ExpertShape shape, const std::string& what) {
  const std::size_t n = std::size_t{shape.d_model} * shape.width;
  CheckSize(what, "w_gate", f.w_gate.size(), n, false);
  CheckSize(what, "w_up", f.w_up.size(), n, false);
  CheckSize(what, "w_down", f.w_down.size(), n, false);
  CheckSize(what, "b_gate", f.b_gate.size(), shape.width, true);
  CheckSize(what, "b_up", f.b_up.size(), shape.width, true);
  CheckSize(what, "b_down", f.b_down.size(), shape.d_model, true);
  CheckFinite(what, "w_gate", f.w_gate);
  CheckFinite(what, "w_up", f.w_up);
  CheckFinite(what, "w_down", f.w_down);
  CheckFinite(what, "b_gate", f.b_gate);
  CheckFinite(what, "b_up", f.b_up);
  CheckFinite(what, "b_down", f.b_down);
}

ActivationScales CalibrateActivationScales(const FloatExpert& f, ExpertShape shape, Activation act,
                                           const CalibrationOptions& opt) {
  ValidateFloatExpert(f, shape);
  const std::uint32_t d = shape.d_model;
  const std::uint32_t w = shape.width;
  std::vector<double> abs_g, abs_u, abs_m;
  std::vector<double> x(d), g, u;
  for (std::uint32_t t = 0; t < opt.samples; ++t) {
    SplitMix64 rng(MixSeed(opt.seed, t));
    for (double& v : x) v = NextGaussian(rng);
    Project(f.w_gate, f.b_gate, w, d, x, g);
    Project(f.w_up, f.b_up, w, d, x, u);
    for (std::uint32_t r = 0; r < w; ++r) {
      abs_g.push_back(std::abs(g[r]));
      abs_u.push_back(std::abs(u[r]));
      abs_m.push_back(std::abs(ActivationFunction(act, g[r]) * UpTransform(act, u[r])));
    }
  }
  const auto scale_of = [&](std::vector<double>& v) {
    const double p = Percentile(v, opt.percentile);
    return p > 0 ? p / 127.0 : 1.0 / 127.0;
  };
  ActivationScales s;
  if (act == Activation::kSwiGluClamped) {
    s.gate = kGptOssActScale;
    s.up = kGptOssActScale;
  } else {
    s.gate = scale_of(abs_g);
    s.up = scale_of(abs_u);
  }
  double a_max = 0;
  for (int k = -128; k <= 127; ++k) a_max = std::max(a_max, std::abs(ActivationFunction(act, k * s.gate)));
  s.act = a_max > 0 ? a_max / 127.0 : 1.0 / 127.0;
  s.prod = scale_of(abs_m);
  return s;
}

std::array<std::int8_t, 256> MakeActivationLut(Activation act, double s_g, double s_a) {
  std::array<std::int8_t, 256> lut{};
  for (int k = -128; k <= 127; ++k) {
    const double a = ActivationFunction(act, k * s_g) / s_a;
    lut[static_cast<std::uint8_t>(k)] = SatInt8(static_cast<std::int64_t>(std::nearbyint(a)));
  }
  return lut;
}

Requant DeriveRequant(double real_multiplier, std::uint8_t min_shift, std::uint8_t max_shift, const std::string& what) {
  if (!(real_multiplier > 0)) {
    if (real_multiplier == 0) return Requant{0, min_shift};
    std::ostringstream os;
    os << what << ": real multiplier " << real_multiplier << ": expected a finite value >= 0";
    throw ConfigError(os.str());
  }
  int ex = 0;
  (void)std::frexp(real_multiplier, &ex);  // real = f * 2^ex, f in [0.5, 1)
  int shift = 24 - ex;                     // real * 2^shift in [2^23, 2^24)
  auto mult = std::llround(std::ldexp(real_multiplier, shift));
  if (mult >= kRequantMultLimit) {
    mult /= 2;
    --shift;
  }
  if (shift > max_shift) {
    shift = max_shift;
    mult = std::llround(std::ldexp(real_multiplier, shift));
  }
  if (shift < min_shift) {
    shift = min_shift;
    mult = std::llround(std::ldexp(real_multiplier, shift));
    if (mult >= kRequantMultLimit) {
      std::ostringstream os;
      os << what << ": real multiplier " << real_multiplier << " needs mult >= 2^24 at shift " << int{min_shift}
         << ": expected a multiplier below " << std::ldexp(1.0, 24 - min_shift);
      throw ConfigError(os.str());
    }
  }
  return Requant{static_cast<std::int32_t>(mult), static_cast<std::uint8_t>(shift)};
}

std::uint8_t QuantizeE2M1(double v) {
  static constexpr double kGrid[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  const bool neg = v < 0;
  const double a = std::abs(v);
  int idx = 7;
  if (!(a >= 6.0)) {  // NaN would land here too; callers pass finite values
    idx = 0;
    while (idx < 7 && kGrid[idx + 1] <= a) ++idx;  // kGrid[idx] <= a < kGrid[idx + 1]
    if (idx < 7) {
      const double mid = 0.5 * (kGrid[idx] + kGrid[idx + 1]);
      if (a > mid || (a == mid && (idx % 2) == 1)) ++idx;  // ties to the even code
    }
  }
  if (idx == 0) return 0;
  return static_cast<std::uint8_t>((neg ? 8 : 0) | idx);
}

QuantizedWeights QuantizeWeights(std::span<const float> w, std::uint32_t rows, std::uint32_t cols,
                                 WeightFormat format) {
  MOEFAB_CHECK(w.size() == std::size_t{rows} * cols,
               "QuantizeWeights: " << w.size() << " weights for " << rows << " x " << cols);
  QuantizedWeights out;
  QuantMatrix& m = out.matrix;
  m.rows = rows;
  m.cols = cols;
  m.q.resize(w.size());
  out.row_scale.resize(rows);
  if (format != WeightFormat::kMxfp4) {
    const int q_max = format == WeightFormat::kInt4 ? 7 : 3;
    const int q_min = -q_max - 1;
    for (std::uint32_t r = 0; r < rows; ++r) {
      const float* wr = w.data() + std::size_t{r} * cols;
      double amax = 0;
      for (std::uint32_t c = 0; c < cols; ++c) amax = std::max(amax, std::abs(double{wr[c]}));
      const double s = amax > 0 ? amax / q_max : 1.0;
      out.row_scale[r] = s;
      for (std::uint32_t c = 0; c < cols; ++c) {
        const double q = std::clamp(std::nearbyint(wr[c] / s), double(q_min), double(q_max));
        m.q[std::size_t{r} * cols + c] = static_cast<std::int8_t>(q);
      }
    }
    return out;
  }
  const std::uint32_t nb = Blocks(cols);
  m.block_exp.resize(std::size_t{rows} * nb);
  for (std::uint32_t r = 0; r < rows; ++r) {
    const float* wr = w.data() + std::size_t{r} * cols;
    bool row_zero = true;
    for (std::uint32_t b = 0; b < nb; ++b) {
      const std::uint32_t c0 = b * kMxBlock;
      const std::uint32_t c1 = std::min(cols, c0 + kMxBlock);
      double amax = 0;
      for (std::uint32_t c = c0; c < c1; ++c) amax = std::max(amax, std::abs(double{wr[c]}));
      int e8 = 0;
      if (amax > 0) {
        row_zero = false;
        int ex = 0;
        (void)std::frexp(amax, &ex);  // floor(log2(amax)) = ex - 1
        e8 = std::clamp(ex - 1 - 2 + 127, 0, 254);
      }
      m.block_exp[std::size_t{r} * nb + b] = static_cast<std::uint8_t>(e8);
      for (std::uint32_t c = c0; c < c1; ++c) {
        m.q[std::size_t{r} * cols + c] = static_cast<std::int8_t>(QuantizeE2M1(std::ldexp(double{wr[c]}, 127 - e8)));
      }
    }
    if (row_zero) {
      std::fill_n(m.block_exp.begin() + static_cast<std::ptrdiff_t>(std::size_t{r} * nb), nb, 127);
    }
  }
  out.row_scale = Mxfp4RowScales(m);
  return out;
}

std::vector<double> Mxfp4RowScales(const QuantMatrix& m) {
  const std::uint32_t nb = Blocks(m.cols);
  std::vector<double> s(m.rows);
  for (std::uint32_t r = 0; r < m.rows; ++r) {
    const auto* ex = m.block_exp.data() + std::size_t{r} * nb;
    const int e_max = *std::max_element(ex, ex + nb);
    s[r] = std::ldexp(1.0, e_max - 127 - 1 - static_cast<int>(kMxGuardBits));
  }
  return s;
}

std::vector<float> DequantizeMxfp4(const QuantMatrix& m) {
  const std::uint32_t nb = Blocks(m.cols);
  std::vector<float> w(std::size_t{m.rows} * m.cols);
  for (std::uint32_t r = 0; r < m.rows; ++r) {
    for (std::uint32_t c = 0; c < m.cols; ++c) {
      const std::size_t i = std::size_t{r} * m.cols + c;
      const int e8 = m.block_exp[std::size_t{r} * nb + c / kMxBlock];
      w[i] = static_cast<float>(std::ldexp(E2M1Value(static_cast<std::uint8_t>(m.q[i])), e8 - 127));
    }
  }
  return w;
}

ExpertWeights AssembleExpert(ExpertShape shape, WeightFormat format, Activation act, QuantizedWeights gate,
                             QuantizedWeights up, QuantizedWeights down, std::shared_ptr<const FloatExpert> reference,
                             const ActivationScales& scales, const std::string& what) {
  MOEFAB_CHECK(reference != nullptr, "AssembleExpert: no reference float expert");
  ValidateFloatExpert(*reference, shape, what);
  const FloatExpert& f = *reference;
  FinishMatrix(gate, f.b_gate, kResidualScale, scales.gate, kMinGateUpShift, what, "gate");
  FinishMatrix(up, f.b_up, kResidualScale, scales.up, kMinGateUpShift, what, "up");
  FinishMatrix(down, f.b_down, scales.prod, kResidualScale, kMinDownShift, what, "down");
  ExpertWeights w;
  w.shape = shape;
  w.format = format;
  w.activation = act;
  w.gate = std::move(gate.matrix);
  w.up = std::move(up.matrix);
  w.down = std::move(down.matrix);
  w.act_lut = MakeActivationLut(act, scales.gate, scales.act);
  if (act == Activation::kSwiGluClamped) {
    w.u_clamp = static_cast<std::int16_t>(std::clamp(std::lround(kGptOssLimit / scales.up), 0L, 128L));
    w.u_offset = static_cast<std::int16_t>(std::clamp(std::lround(1.0 / scales.up), -128L, 128L));
  } else {
    w.u_clamp = 128;
    w.u_offset = 0;
  }
  const Requant prod = DeriveRequant(scales.act * scales.up / scales.prod, 1, kMaxRequantShift, what + ": product");
  w.mult_prod = prod.mult;
  w.shift_prod = prod.shift;
  w.reference = std::move(reference);
  ValidateExpertWeights(w, what);
  return w;
}

ExpertWeights QuantizeExpert(const FloatExpert& f, ExpertShape shape, WeightFormat format, Activation act,
                             const ActivationScales& scales, const std::string& what) {
  ValidateFloatExpert(f, shape, what);
  const std::uint32_t d = shape.d_model;
  const std::uint32_t i = shape.width;
  return AssembleExpert(shape, format, act, QuantizeWeights(f.w_gate, i, d, format),
                        QuantizeWeights(f.w_up, i, d, format), QuantizeWeights(f.w_down, d, i, format),
                        std::make_shared<const FloatExpert>(f), scales, what);
}

ExpertWeights QuantizeExpert(const FloatExpert& f, ExpertShape shape, WeightFormat format, Activation act,
                             const CalibrationOptions& opt, const std::string& what) {
  ValidateFloatExpert(f, shape, what);
  return QuantizeExpert(f, shape, format, act, CalibrateActivationScales(f, shape, act, opt), what);
}

FloatExpert MakeSyntheticFloatExpert(ExpertShape shape, Activation act, std::uint64_t seed) {
  const std::uint32_t d = shape.d_model;
  const std::uint32_t i = shape.width;
  const auto matrix = [&](std::uint32_t rows, std::uint32_t cols, std::uint64_t id) {
    SplitMix64 rng(MixSeed(seed, id));
    const double sigma = 1.0 / std::sqrt(static_cast<double>(cols));
    std::vector<float> w(std::size_t{rows} * cols);
    for (float& v : w) v = static_cast<float>(sigma * NextGaussian(rng));
    const std::uint32_t outliers = std::max<std::uint32_t>(1, rows / 64);
    for (std::uint32_t k = 0; k < outliers; ++k) {
      const auto r = static_cast<std::size_t>(rng.Uniform(0, rows - 1));
      for (std::uint32_t c = 0; c < cols; ++c) w[r * cols + c] *= 3.0f;
    }
    return w;
  };
  const auto vec = [&](std::uint32_t n, double sigma, std::uint64_t id) {
    SplitMix64 rng(MixSeed(seed, id));
    std::vector<float> b(n);
    for (float& v : b) v = static_cast<float>(sigma * NextGaussian(rng));
    return b;
  };
  FloatExpert f;
  f.w_gate = matrix(i, d, 1);
  f.w_up = matrix(i, d, 2);
  f.w_down = matrix(d, i, 3);
  if (act == Activation::kSwiGluClamped) {
    f.b_gate = vec(i, 0.2, 4);
    f.b_up = vec(i, 0.2, 5);
    f.b_down = vec(d, 0.05, 6);
  }
  return f;
}

ExpertWeights MakeSyntheticExpertWeights(ExpertShape shape, WeightFormat format, Activation act, std::uint64_t seed) {
  return QuantizeExpert(MakeSyntheticFloatExpert(shape, act, seed), shape, format, act);
}

void MakeRandomHidden(std::uint64_t seed, std::span<std::int16_t> h) {
  SplitMix64 rng(seed);
  for (std::int16_t& v : h) {
    const double r = std::nearbyint(256.0 * NextGaussian(rng));
    v = static_cast<std::int16_t>(std::clamp(r, -32768.0, 32767.0));
  }
}

}  // namespace moefab::chips
