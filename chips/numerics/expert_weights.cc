// Format names and sizes, and the validation of one expert slot's contents against the
// ranges of chips/numerics/NUMERICS.md. Omits: nothing numeric (the datapath is elsewhere).
#include "chips/numerics/expert_weights.h"

#include <sstream>

#include "core/error.h"

namespace moefab::chips {

const char* WeightFormatName(WeightFormat f) {
  switch (f) {
    case WeightFormat::kInt4:
      return "INT4";
    case WeightFormat::kInt3:
      return "INT3";
    case WeightFormat::kMxfp4:
      return "MXFP4";
  }
  return "UNKNOWN";
}

double WeightBitsPerElement(WeightFormat f) {
  switch (f) {
    case WeightFormat::kInt4:
      return 4.0;
    case WeightFormat::kInt3:
      return 3.0;
    case WeightFormat::kMxfp4:
      return 4.0 + 8.0 / kMxBlock;
  }
  return 0.0;
}

namespace {

[[noreturn]] void Fail(const std::string& what, const std::string& field, long long value,
                       const std::string& expected) {
  std::ostringstream os;
  os << what << ": " << field << "=" << value << ": expected " << expected;
  throw ConfigError(os.str());
}

[[noreturn]] void FailSize(const std::string& what, const std::string& field, std::size_t size, std::size_t expected,
                           const std::string& why) {
  std::ostringstream os;
  os << what << ": " << field << ".size()=" << size << ": expected " << expected << " (" << why << ")";
  throw ConfigError(os.str());
}

std::string Indexed(const std::string& matrix, const char* field, std::size_t i) {
  return matrix + "." + field + "[" + std::to_string(i) + "]";
}

void ValidateMatrix(const QuantMatrix& m, const std::string& what, const std::string& name, WeightFormat format,
                    std::uint32_t rows, std::uint32_t cols, std::uint8_t min_shift) {
  if (m.rows != rows) Fail(what, name + ".rows", m.rows, std::to_string(rows));
  if (m.cols != cols) Fail(what, name + ".cols", m.cols, std::to_string(cols));
  const std::size_t n = std::size_t{rows} * cols;
  if (m.q.size() != n) {
    FailSize(what, name + ".q", m.q.size(), n, std::to_string(rows) + " x " + std::to_string(cols));
  }
  int lo = -8;
  int hi = 7;
  const char* range = "INT4 value in [-8, 7]";
  if (format == WeightFormat::kInt3) {
    lo = -4;
    hi = 3;
    range = "INT3 value in [-4, 3]";
  } else if (format == WeightFormat::kMxfp4) {
    lo = 0;
    hi = 15;
    range = "MXFP4 E2M1 code in [0, 15]";
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (m.q[i] < lo || m.q[i] > hi) Fail(what, Indexed(name, "q", i), m.q[i], range);
  }
  if (format == WeightFormat::kMxfp4) {
    const std::size_t nb = std::size_t{rows} * ((cols + kMxBlock - 1) / kMxBlock);
    if (m.block_exp.size() != nb) {
      FailSize(what, name + ".block_exp", m.block_exp.size(), nb, "rows x ceil(cols / 32) E8M0 exponents");
    }
    for (std::size_t i = 0; i < nb; ++i) {
      if (m.block_exp[i] == 255) {
        Fail(what, Indexed(name, "block_exp", i), 255, "E8M0 exponent in [0, 254] (255 is NaN)");
      }
    }
  } else if (!m.block_exp.empty()) {
    FailSize(what, name + ".block_exp", m.block_exp.size(), 0,
             std::string("no block exponents in ") + WeightFormatName(format));
  }
  if (m.mult.size() != rows) FailSize(what, name + ".mult", m.mult.size(), rows, "one per row");
  if (m.shift.size() != rows) FailSize(what, name + ".shift", m.shift.size(), rows, "one per row");
  if (!m.bias.empty() && m.bias.size() != rows) {
    FailSize(what, name + ".bias", m.bias.size(), rows, "one per row, or empty for no bias");
  }
  for (std::size_t r = 0; r < rows; ++r) {
    if (m.mult[r] < 0 || m.mult[r] >= kRequantMultLimit) {
      Fail(what, Indexed(name, "mult", r), m.mult[r], "[0, 2^24)");
    }
    if (m.shift[r] < min_shift || m.shift[r] > kMaxRequantShift) {
      std::ostringstream range_os;
      range_os << "[" << int{min_shift} << ", " << int{kMaxRequantShift} << "]";
      Fail(what, Indexed(name, "shift", r), m.shift[r], range_os.str());
    }
  }
}

}  // namespace

void ValidateExpertWeights(const ExpertWeights& w, const std::string& what) {
  const std::uint32_t d = w.shape.d_model;
  const std::uint32_t i = w.shape.width;
  std::ostringstream dim_os;
  dim_os << "[1, " << kMaxExpertDim << "]";
  const std::string dim_range = dim_os.str();
  if (d == 0 || d > kMaxExpertDim) Fail(what, "shape.d_model", d, dim_range);
  if (i == 0 || i > kMaxExpertDim) Fail(what, "shape.width", i, dim_range);
  if (w.format != WeightFormat::kInt4 && w.format != WeightFormat::kInt3 && w.format != WeightFormat::kMxfp4) {
    Fail(what, "format", static_cast<int>(w.format), "0 (INT4), 1 (INT3) or 2 (MXFP4)");
  }
  if (w.activation != Activation::kSwiGlu && w.activation != Activation::kSwiGluClamped) {
    Fail(what, "activation", static_cast<int>(w.activation), "0 (SwiGLU) or 1 (gpt-oss clamped SwiGLU)");
  }
  ValidateMatrix(w.gate, what, "gate", w.format, i, d, kMinGateUpShift);
  ValidateMatrix(w.up, what, "up", w.format, i, d, kMinGateUpShift);
  ValidateMatrix(w.down, what, "down", w.format, d, i, kMinDownShift);
  if (w.u_clamp < 0 || w.u_clamp > 128) Fail(what, "u_clamp", w.u_clamp, "[0, 128]");
  if (w.u_offset < -128 || w.u_offset > 128) Fail(what, "u_offset", w.u_offset, "[-128, 128]");
  if (w.mult_prod < 0 || w.mult_prod >= kRequantMultLimit) {
    Fail(what, "mult_prod", w.mult_prod, "[0, 2^24)");
  }
  if (w.shift_prod < 1 || w.shift_prod > kMaxRequantShift) {
    Fail(what, "shift_prod", w.shift_prod, "[1, 62]");
  }
}

}  // namespace moefab::chips
