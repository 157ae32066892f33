// The golden expert datapath of NUMERICS.md: the scalar reference loops, the repacking into
// PreparedExpert and the fast path's per-channel requantisation around the mat-vec kernels.
// Omits: timing, combine.
#include "chips/numerics/golden_expert.h"

#include <algorithm>
#include <limits>

#include "chips/numerics/golden_kernels.h"
#include "core/error.h"
#include "core/types.h"

namespace moefab::chips {

namespace {

constexpr std::uint32_t kGroupRows = 8;

std::uint32_t CeilDiv(std::uint32_t a, std::uint32_t b) {
  return (a + b - 1) / b;
}

void CheckSpans(ExpertShape shape, std::size_t x_size, std::size_t y_size, std::uint8_t e) {
  MOEFAB_CHECK(x_size == shape.d_model, "GoldenExpert: x has " << x_size << " elements, d_model is " << shape.d_model);
  MOEFAB_CHECK(y_size == shape.d_model, "GoldenExpert: y has " << y_size << " elements, d_model is " << shape.d_model);
  MOEFAB_CHECK(e <= kMaxDispatchExponent, "GoldenExpert: e=" << int{e} << " is above 9");
}

// Scalar: acc_r of NUMERICS.md for one row of m applied to v (int64, spec order).
std::int64_t ScalarRowAcc(const QuantMatrix& m, WeightFormat format, std::uint32_t r, std::span<const std::int8_t> v) {
  const std::int8_t* q = m.q.data() + std::size_t{r} * m.cols;
  if (format != WeightFormat::kMxfp4) {
    std::int64_t acc = 0;
    for (std::uint32_t c = 0; c < m.cols; ++c) acc += std::int64_t{q[c]} * v[c];
    return acc;
  }
  const std::uint32_t nb = CeilDiv(m.cols, kMxBlock);
  const std::uint8_t* ex = m.block_exp.data() + std::size_t{r} * nb;
  const int e_max = *std::max_element(ex, ex + nb);
  std::int64_t acc = 0;
  for (std::uint32_t b = 0; b < nb; ++b) {
    std::int64_t p = 0;
    for (std::uint32_t c = b * kMxBlock; c < std::min(m.cols, (b + 1) * kMxBlock); ++c) {
      p += std::int64_t{kMxfp4Val2[static_cast<std::uint8_t>(q[c])]} * v[c];
    }
    const int s = e_max - ex[b];
    if (s < 24) acc += RoundShift(p * (std::int64_t{1} << kMxGuardBits), static_cast<unsigned>(s));
  }
  return acc;
}

// The per-channel steps shared by both paths: g, u -> a, uc -> m.
struct ActConstants {
  const std::array<std::int8_t, 256>* act_lut;  // chip LUT
  std::int16_t u_clamp;                         // |u| clamp
  std::int16_t u_offset;                        // added after the clamp
  std::int32_t mult_prod;                       // requant of a * uc
  std::uint8_t shift_prod;                      // bits
};

inline std::int8_t RequantGateUp(std::int64_t acc, std::int32_t bias, std::int32_t mult, std::uint8_t shift,
                                 std::uint8_t e) {
  return SatInt8(RoundShift((acc + RoundShift(bias, e)) * mult, static_cast<unsigned>(shift - e)));
}

inline std::int8_t Product(std::int8_t g, std::int8_t u, const ActConstants& k) {
  const std::int64_t a = (*k.act_lut)[static_cast<std::uint8_t>(g)];
  const std::int64_t uc = std::clamp<std::int64_t>(u, -k.u_clamp, k.u_clamp) + k.u_offset;
  return SatInt8(RoundShift(a * uc * k.mult_prod, k.shift_prod));
}

inline std::int16_t RequantDown(std::int64_t acc, std::int32_t bias, std::int32_t mult, std::uint8_t shift) {
  return SatInt16(RoundShift((acc + bias) * mult, shift));
}

PreparedMatrix Prepare(const QuantMatrix& q, WeightFormat format) {
  PreparedMatrix m;
  m.rows = q.rows;
  m.cols = q.cols;
  m.groups = CeilDiv(q.rows, kGroupRows);
  m.blocks = CeilDiv(q.cols, kMxBlock);
  m.mx = format == WeightFormat::kMxfp4;
  const std::size_t gbs = std::size_t{m.groups} * m.blocks;
  m.codes.assign(gbs * kGroupRows * 16, m.mx ? 0x00 : 0x88);
  if (m.mx) {
    m.mx_shift.assign(gbs * kGroupRows, 0);
    m.mx_sum.assign(gbs * kGroupRows, 0);
  }
  for (std::uint32_t r = 0; r < q.rows; ++r) {
    const std::uint32_t g = r / kGroupRows;
    const std::uint32_t i = r % kGroupRows;
    // Row i of a group sits in pair i % 4, half i / 4 (see PreparedMatrix::codes).
    const std::size_t row_off = (i % 4) * 32 + (i / 4) * 16;
    const std::int8_t* qr = q.q.data() + std::size_t{r} * q.cols;
    int e_max = 0;
    if (m.mx) {
      const std::uint8_t* ex = q.block_exp.data() + std::size_t{r} * m.blocks;
      e_max = *std::max_element(ex, ex + m.blocks);
    }
    for (std::uint32_t b = 0; b < m.blocks; ++b) {
      const std::size_t gb = std::size_t{g} * m.blocks + b;
      std::uint8_t* bytes = m.codes.data() + gb * kGroupRows * 16 + row_off;
      int sum = 0;
      for (std::uint32_t k = 0; k < kMxBlock; ++k) {
        const std::uint32_t c = b * kMxBlock + k;
        const int value = c < q.cols ? qr[c] : 0;
        const int nibble = m.mx ? value : value + 8;
        if (m.mx) sum += kMxfp4Val2[static_cast<std::size_t>(nibble)];
        std::uint8_t& byte = bytes[k % 16];
        if (k < 16) {
          byte = static_cast<std::uint8_t>((byte & 0xF0) | nibble);
        } else {
          byte = static_cast<std::uint8_t>((byte & 0x0F) | (nibble << 4));
        }
      }
      if (m.mx) {
        const int s = e_max - q.block_exp[std::size_t{r} * m.blocks + b];
        m.mx_shift[gb * kGroupRows + i] = static_cast<std::uint8_t>(std::min(s, 24));
        m.mx_sum[gb * kGroupRows + i] = static_cast<std::int16_t>(sum);
      }
    }
  }
  m.mult = q.mult;
  m.shift = q.shift;
  m.bias = q.bias.empty() ? std::vector<std::int32_t>(q.rows, 0) : q.bias;
  return m;
}

}  // namespace

std::uint8_t DispatchExponent(std::span<const std::int16_t> h) {
  if (h.empty()) return 0;
  std::int16_t lo = 0;
  std::int16_t hi = 0;
  for (const std::int16_t v : h) {  // auto-vectorised min / max
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  // RoundShift is monotone, so only the extremes matter.
  for (unsigned e = 0; e < kMaxDispatchExponent; ++e) {
    if (RoundShift(hi, e) <= 127 && RoundShift(lo, e) >= -127) return static_cast<std::uint8_t>(e);
  }
  return kMaxDispatchExponent;
}

void QuantizeForDispatch(std::span<const std::int16_t> h, std::uint8_t e, std::span<std::int8_t> x) {
  MOEFAB_CHECK(x.size() == h.size(), "QuantizeForDispatch: x has " << x.size() << " elements, h has " << h.size());
  MOEFAB_CHECK(e <= kMaxDispatchExponent, "QuantizeForDispatch: e=" << int{e} << " is above 9");
  for (std::size_t j = 0; j < h.size(); ++j) x[j] = SatInt8(RoundShift(h[j], e));
}

void GoldenExpertScalar(const ExpertWeights& w, std::span<const std::int8_t> x, std::uint8_t e,
                        std::span<std::int16_t> y) {
  ValidateExpertWeights(w);
  CheckSpans(w.shape, x.size(), y.size(), e);
  const std::uint32_t width = w.shape.width;
  const ActConstants k{&w.act_lut, w.u_clamp, w.u_offset, w.mult_prod, w.shift_prod};
  std::vector<std::int8_t> m(width);
  for (std::uint32_t r = 0; r < width; ++r) {
    const std::int32_t bg = w.gate.bias.empty() ? 0 : w.gate.bias[r];
    const std::int32_t bu = w.up.bias.empty() ? 0 : w.up.bias[r];
    const std::int8_t g = RequantGateUp(ScalarRowAcc(w.gate, w.format, r, x), bg, w.gate.mult[r], w.gate.shift[r], e);
    const std::int8_t u = RequantGateUp(ScalarRowAcc(w.up, w.format, r, x), bu, w.up.mult[r], w.up.shift[r], e);
    m[r] = Product(g, u, k);
  }
  for (std::uint32_t j = 0; j < w.shape.d_model; ++j) {
    const std::int32_t bd = w.down.bias.empty() ? 0 : w.down.bias[j];
    y[j] = RequantDown(ScalarRowAcc(w.down, w.format, j, m), bd, w.down.mult[j], w.down.shift[j]);
  }
}

bool GoldenKernelAvailable(GoldenKernel k) {
  return k != GoldenKernel::kAvx2 || internal::CpuHasAvx2();
}

PreparedExpert::PreparedExpert(const ExpertWeights& w, GoldenKernel kernel)
    : shape_(w.shape),
      format_(w.format),
      activation_(w.activation),
      kernel_(kernel == GoldenKernel::kAuto ? (internal::CpuHasAvx2() ? GoldenKernel::kAvx2 : GoldenKernel::kPortable)
                                            : kernel),
      gate_(Prepare(w.gate, w.format)),
      up_(Prepare(w.up, w.format)),
      down_(Prepare(w.down, w.format)),
      act_lut_(w.act_lut),
      u_clamp_(w.u_clamp),
      u_offset_(w.u_offset),
      mult_prod_(w.mult_prod),
      shift_prod_(w.shift_prod) {}

std::size_t PreparedExpert::weight_bytes() const {
  std::size_t n = 0;
  for (const PreparedMatrix* m : {&gate_, &up_, &down_}) {
    n += m->codes.size() + m->mx_shift.size() + m->mx_sum.size() * sizeof(std::int16_t);
  }
  return n;
}

void PreparedExpert::Run(std::span<const std::int8_t> x, std::uint8_t e, std::span<std::int16_t> y) const {
  CheckSpans(shape_, x.size(), y.size(), e);
  // Scratch per thread: padded inputs and accumulators, grown on demand, never shrunk.
  thread_local std::vector<std::int8_t> v;
  thread_local std::vector<std::int32_t> acc_g;
  thread_local std::vector<std::int32_t> acc_u;
  const auto matvec = kernel_ == GoldenKernel::kAvx2 ? &internal::MatVecAvx2 : &internal::MatVecPortable;

  v.assign(std::size_t{gate_.blocks} * kMxBlock, 0);
  std::copy(x.begin(), x.end(), v.begin());
  acc_g.resize(std::size_t{gate_.groups} * kGroupRows);
  acc_u.resize(std::size_t{up_.groups} * kGroupRows);
  matvec(gate_, v.data(), acc_g.data());
  matvec(up_, v.data(), acc_u.data());

  const ActConstants k{&act_lut_, u_clamp_, u_offset_, mult_prod_, shift_prod_};
  v.assign(std::size_t{down_.blocks} * kMxBlock, 0);
  for (std::uint32_t r = 0; r < shape_.width; ++r) {
    const std::int8_t g = RequantGateUp(acc_g[r], gate_.bias[r], gate_.mult[r], gate_.shift[r], e);
    const std::int8_t u = RequantGateUp(acc_u[r], up_.bias[r], up_.mult[r], up_.shift[r], e);
    v[r] = Product(g, u, k);
  }
  acc_g.resize(std::size_t{down_.groups} * kGroupRows);
  matvec(down_, v.data(), acc_g.data());
  for (std::uint32_t j = 0; j < shape_.d_model; ++j) {
    y[j] = RequantDown(acc_g[j], down_.bias[j], down_.mult[j], down_.shift[j]);
  }
}

std::shared_ptr<const PreparedExpert> PrepareGolden(const ExpertWeights& w, GoldenKernel kernel,
                                                    const std::string& what) {
  ValidateExpertWeights(w, what);
  if (!GoldenKernelAvailable(kernel)) {
    throw ConfigError(what + ": golden kernel AVX2 requested, but this CPU has no AVX2");
  }
  return std::make_shared<const PreparedExpert>(w, kernel);
}

void GoldenExpert(const PreparedExpert& p, std::span<const std::int8_t> x, std::uint8_t e, std::span<std::int16_t> y) {
  p.Run(x, e, y);
}

void GoldenExpert(const ExpertWeights& w, std::span<const std::int8_t> x, std::uint8_t e, std::span<std::int16_t> y) {
  PrepareGolden(w)->Run(x, e, y);
}

}  // namespace moefab::chips
