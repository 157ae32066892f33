// Float reference forward pass and the quantisation-error measurement (see float_reference.h).
#include "chips/numerics/float_reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "core/error.h"
#include "core/rng.h"

namespace moefab::chips {

void FloatExpertForward(const FloatExpert& f, Activation act, std::span<const double> x, std::span<double> y) {
  const std::size_t d = x.size();
  MOEFAB_CHECK(d > 0 && y.size() == d && f.w_gate.size() % d == 0,
               "FloatExpertForward: x " << x.size() << ", y " << y.size() << ", w_gate " << f.w_gate.size());
  const std::size_t width = f.w_gate.size() / d;
  MOEFAB_CHECK(f.w_up.size() == width * d && f.w_down.size() == width * d,
               "FloatExpertForward: w_up / w_down sizes do not match w_gate");
  std::vector<double> m(width);
  for (std::size_t r = 0; r < width; ++r) {
    const float* wg = f.w_gate.data() + r * d;
    const float* wu = f.w_up.data() + r * d;
    double g = f.b_gate.empty() ? 0.0 : f.b_gate[r];
    double u = f.b_up.empty() ? 0.0 : f.b_up[r];
    for (std::size_t c = 0; c < d; ++c) {
      g += double{wg[c]} * x[c];
      u += double{wu[c]} * x[c];
    }
    m[r] = ActivationFunction(act, g) * UpTransform(act, u);
  }
  for (std::size_t j = 0; j < d; ++j) {
    const float* wd = f.w_down.data() + j * width;
    double s = f.b_down.empty() ? 0.0 : f.b_down[j];
    for (std::size_t r = 0; r < width; ++r) s += double{wd[r]} * m[r];
    y[j] = s;
  }
}

QuantError MeasureQuantError(const ExpertWeights& w, std::uint32_t samples, std::uint64_t seed) {
  if (w.reference == nullptr) {
    throw ConfigError("MeasureQuantError: the expert has no float reference (reference is null)");
  }
  const auto prepared = PrepareGolden(w);
  const std::uint32_t d = w.shape.d_model;
  std::vector<std::int16_t> h(d), y(d);
  std::vector<std::int8_t> x(d);
  std::vector<double> xr(d), yr(d);
  double dot = 0, yy = 0, rr = 0, ee = 0;
  QuantError q;
  for (std::uint32_t t = 0; t < samples; ++t) {
    MakeRandomHidden(MixSeed(seed, t), h);
    const std::uint8_t e = DispatchExponent(h);
    QuantizeForDispatch(h, e, x);
    GoldenExpert(*prepared, x, e, y);
    for (std::uint32_t j = 0; j < d; ++j) xr[j] = std::ldexp(static_cast<double>(x[j]), e) * kResidualScale;
    FloatExpertForward(*w.reference, w.activation, xr, yr);
    for (std::uint32_t j = 0; j < d; ++j) {
      const double yq = y[j] * kResidualScale;
      dot += yq * yr[j];
      yy += yq * yq;
      rr += yr[j] * yr[j];
      ee += (yq - yr[j]) * (yq - yr[j]);
      q.max_abs = std::max(q.max_abs, std::abs(yq - yr[j]));
    }
  }
  q.samples = samples;
  q.cosine = (yy > 0 && rr > 0) ? dot / std::sqrt(yy * rr) : 0.0;
  q.rms = samples > 0 ? std::sqrt(ee / (double{1} * samples * d)) : 0.0;
  return q;
}

}  // namespace moefab::chips
