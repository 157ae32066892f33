#include "chips/golden_expert.h"

#include <vector>

#include "runtime/core/error.h"

namespace moefab::chips {
namespace {

std::int8_t Requant(std::int64_t value, std::int32_t mult, std::uint8_t shift) {
  return SatInt8(RoundShift(value * mult, shift));
}

}  // namespace

void GoldenExpert(const ExpertWeights& w, std::span<const std::int8_t> x,
                  std::span<std::int8_t> y) {
  const std::size_t d = w.shape.d_model;
  const std::size_t width = w.shape.width;
  MOEFAB_CHECK(x.size() == d && y.size() == d,
               "GoldenExpert: x has " << x.size() << " and y " << y.size()
                                      << " elements, expected d_model=" << d);
  std::vector<std::int8_t> m(width);
  for (std::size_t i = 0; i < width; ++i) {
    const std::int8_t* wg = &w.w_gate[i * d];
    const std::int8_t* wu = &w.w_up[i * d];
    std::int32_t acc_g = 0;
    std::int32_t acc_u = 0;
    for (std::size_t j = 0; j < d; ++j) {
      acc_g += std::int32_t{wg[j]} * x[j];
      acc_u += std::int32_t{wu[j]} * x[j];
    }
    const std::int8_t g = Requant(acc_g, w.mult_gate[i], w.shift_gate);
    const std::int8_t u = Requant(acc_u, w.mult_up[i], w.shift_up);
    const std::int8_t a = w.silu_lut[static_cast<std::uint8_t>(g)];
    m[i] = Requant(std::int32_t{a} * u, w.mult_prod, w.shift_prod);
  }
  for (std::size_t j = 0; j < d; ++j) {
    const std::int8_t* wd = &w.w_down[j * width];
    std::int32_t acc_y = 0;
    for (std::size_t i = 0; i < width; ++i) acc_y += std::int32_t{wd[i]} * m[i];
    y[j] = Requant(acc_y, w.mult_down[j], w.shift_down);
  }
}

Cycles ExpertJobCycles(ExpertShape shape, std::uint32_t lanes) {
  MOEFAB_CHECK(lanes > 0, "ExpertJobCycles: lanes must be > 0");
  const std::uint64_t d = shape.d_model;
  const std::uint64_t i = shape.width;
  const std::uint64_t dg = (d + lanes - 1) / lanes;  // lane groups per gate/up row
  const std::uint64_t ig = (i + lanes - 1) / lanes;  // lane groups per down row
  return Cycles(dg * (i + 2) + d * ig + 3);
}

}  // namespace moefab::chips
