// gpt-oss's MXFP4 expert tensors, as the published checkpoints store them: the layout check
// (dtypes and shapes against the model), the value check of a whole layer at load (no NaN
// scale, finite biases), and one expert decoded into ExpertWeights.
#include <cmath>

#include "chips/numerics/quantize.h"
#include "chips/numerics/safetensors.h"
#include "chips/numerics/safetensors_internal.h"
#include "core/error.h"

namespace moefab::chips {

namespace {

using detail::FailTensor;
using detail::ShapeText;

// The tensors of one layer's experts and their dimensions, checked against each other and
// against `expected` (non-zero fields).
struct GptOssLayout {
  std::string gu_b, gu_s, gu_bias, dn_b, dn_s, dn_bias;  // tensor names
  std::uint64_t n_exp = 0, width = 0, d_model = 0;
  std::uint64_t nb_d = 0, nb_i = 0;  // blocks per row of gate_up (over d_model), of down (over width)
};

GptOssLayout CheckLayout(const SafetensorsFile& file, const std::string& prefix, ExpertShape expected) {
  GptOssLayout l;
  const std::string gu_b = prefix + "gate_up_proj_blocks";
  const std::string gu_s = prefix + "gate_up_proj_scales";
  const std::string gu_bias = prefix + "gate_up_proj_bias";
  const std::string dn_b = prefix + "down_proj_blocks";
  const std::string dn_s = prefix + "down_proj_scales";
  const std::string dn_bias = prefix + "down_proj_bias";
  const TensorInfo& gub = file.Get(gu_b);
  if (gub.dtype != SafetensorsDtype::kU8) FailTensor(file.path(), gu_b, "dtype: expected U8");
  if (gub.shape.size() != 4 || gub.shape[1] % 2 != 0 || gub.shape[3] != 16 || gub.shape[0] == 0 || gub.shape[1] == 0 ||
      gub.shape[2] == 0) {
    FailTensor(file.path(), gu_b,
               "shape " + ShapeText(gub.shape) + ": expected [experts, 2 * width, d_model / 32, 16] for gpt-oss MXFP4");
  }
  const std::uint64_t n_exp = gub.shape[0];
  const std::uint64_t width = gub.shape[1] / 2;
  const std::uint64_t nb_d = gub.shape[2];
  const TensorInfo& dnb = file.Get(dn_b);
  if (dnb.dtype != SafetensorsDtype::kU8) FailTensor(file.path(), dn_b, "dtype: expected U8");
  if (dnb.shape.size() != 4) {
    FailTensor(file.path(), dn_b, "shape " + ShapeText(dnb.shape) + ": expected [experts, d_model, width / 32, 16]");
  }
  const std::uint64_t d_model = expected.d_model != 0 ? expected.d_model : dnb.shape[1];
  const std::uint64_t nb_i = (width + kMxBlock - 1) / kMxBlock;
  if (expected.width != 0 && expected.width != width) {
    FailTensor(file.path(), gu_b,
               "shape " + ShapeText(gub.shape) + ": width " + std::to_string(width) + ", expected " +
                   std::to_string(expected.width) + " for the model");
  }
  if ((d_model + kMxBlock - 1) / kMxBlock != nb_d) {
    FailTensor(file.path(), gu_b,
               "shape " + ShapeText(gub.shape) + ": " + std::to_string(nb_d) +
                   " blocks per row, expected ceil(d_model / 32) = " +
                   std::to_string((d_model + kMxBlock - 1) / kMxBlock) + " for the model");
  }
  if (d_model > kMaxExpertDim || width > kMaxExpertDim) {
    FailTensor(file.path(), gu_b, "expert larger than kMaxExpertDim in d_model or width");
  }
  file.CheckShape(dnb, {n_exp, d_model, nb_i, 16}, "experts x d_model x width / 32 x 16");
  file.CheckShape(file.Get(gu_s), {n_exp, 2 * width, nb_d}, "experts x 2 width x d_model / 32");
  file.CheckShape(file.Get(dn_s), {n_exp, d_model, nb_i}, "experts x d_model x width / 32");
  file.CheckShape(file.Get(gu_bias), {n_exp, 2 * width}, "experts x 2 width");
  file.CheckShape(file.Get(dn_bias), {n_exp, d_model}, "experts x d_model");
  if (file.Get(gu_s).dtype != SafetensorsDtype::kU8) FailTensor(file.path(), gu_s, "dtype: expected U8");
  if (file.Get(dn_s).dtype != SafetensorsDtype::kU8) FailTensor(file.path(), dn_s, "dtype: expected U8");
  l.gu_b = gu_b, l.gu_s = gu_s, l.gu_bias = gu_bias, l.dn_b = dn_b, l.dn_s = dn_s, l.dn_bias = dn_bias;
  l.n_exp = n_exp, l.width = width, l.d_model = d_model, l.nb_d = nb_d, l.nb_i = nb_i;
  return l;
}

}  // namespace

void CheckGptOssExperts(const SafetensorsFile& file, const std::string& prefix, ExpertShape expected) {
  const GptOssLayout l = CheckLayout(file, prefix, expected);
  // Scales: E8M0, 255 is NaN. Read one expert at a time (a layer's scales are tens of MB).
  const auto scan = [&](const std::string& name, std::uint64_t per_expert) {
    for (std::uint64_t e = 0; e < l.n_exp; ++e) {
      const auto bytes = file.ReadBytes(name, e * per_expert, per_expert);
      for (std::uint64_t i = 0; i < bytes.size(); ++i)
        if (bytes[i] == 255)
          FailTensor(file.path(), name,
                     "expert " + std::to_string(e) + " scale " + std::to_string(i) + ": E8M0 scale 255 (NaN)");
    }
  };
  scan(l.gu_s, 2 * l.width * l.nb_d);
  scan(l.dn_s, l.d_model * l.nb_i);
  for (const std::string& name : {l.gu_bias, l.dn_bias}) {
    const std::vector<float> v = file.ReadFloat(name);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]))
        FailTensor(file.path(), name, "element " + std::to_string(i) + " is " + std::to_string(v[i]) + ": expected a finite value");
  }
}

ExpertWeights LoadGptOssExpert(const SafetensorsFile& file, const std::string& prefix, std::uint32_t expert,
                               ExpertShape expected, const CalibrationOptions& opt) {
  const GptOssLayout l = CheckLayout(file, prefix, expected);
  const std::string &gu_b = l.gu_b, &gu_s = l.gu_s, &gu_bias = l.gu_bias, &dn_b = l.dn_b, &dn_s = l.dn_s,
                    &dn_bias = l.dn_bias;
  const std::uint64_t n_exp = l.n_exp, width = l.width, d_model = l.d_model, nb_d = l.nb_d, nb_i = l.nb_i;
  if (expert >= n_exp) {
    FailTensor(
        file.path(), gu_b,
        "expert " + std::to_string(expert) + " out of range: the file has " + std::to_string(n_exp) + " experts");
  }
  const ExpertShape shape{static_cast<std::uint32_t>(d_model), static_cast<std::uint32_t>(width)};

  // Decodes rows of one expert: `rows` rows of `cols` columns in `nb` blocks; row r of the
  // tensor goes to (matrix, row) by `route`.
  const auto decode = [&](const std::string& blocks_name, const std::string& scales_name, std::uint64_t rows,
                          std::uint64_t cols, std::uint64_t nb, QuantMatrix* even, QuantMatrix* odd) {
    const std::uint64_t row_bytes = nb * 16;
    const auto codes = file.ReadBytes(blocks_name, expert * rows * row_bytes, rows * row_bytes);
    const auto scales = file.ReadBytes(scales_name, expert * rows * nb, rows * nb);
    for (std::uint64_t r = 0; r < rows; ++r) {
      QuantMatrix& m = (odd != nullptr && r % 2 == 1) ? *odd : *even;
      const std::uint64_t mr = odd != nullptr ? r / 2 : r;
      for (std::uint64_t b = 0; b < nb; ++b) {
        const std::uint8_t e8 = scales[r * nb + b];
        if (e8 == 255) {
          FailTensor(file.path(), scales_name,
                     "expert " + std::to_string(expert) + " row " + std::to_string(r) + " block " + std::to_string(b) +
                         ": E8M0 scale 255 (NaN)");
        }
        m.block_exp[mr * nb + b] = e8;
        for (std::uint64_t k = 0; k < 32; ++k) {
          const std::uint64_t c = b * 32 + k;
          if (c >= cols) break;
          const std::uint8_t byte = codes[r * row_bytes + b * 16 + k / 2];
          m.q[mr * cols + c] = static_cast<std::int8_t>(k % 2 == 0 ? (byte & 0x0F) : (byte >> 4));
        }
      }
    }
  };
  const auto empty = [](std::uint64_t rows, std::uint64_t cols, std::uint64_t nb) {
    QuantMatrix m;
    m.rows = static_cast<std::uint32_t>(rows);
    m.cols = static_cast<std::uint32_t>(cols);
    m.q.assign(rows * cols, 0);
    m.block_exp.assign(rows * nb, 0);
    return m;
  };
  QuantizedWeights gate{empty(width, d_model, nb_d), {}};
  QuantizedWeights up{empty(width, d_model, nb_d), {}};
  QuantizedWeights down{empty(d_model, width, nb_i), {}};
  decode(gu_b, gu_s, 2 * width, d_model, nb_d, &gate.matrix, &up.matrix);
  decode(dn_b, dn_s, d_model, width, nb_i, &down.matrix, nullptr);
  gate.row_scale = Mxfp4RowScales(gate.matrix);
  up.row_scale = Mxfp4RowScales(up.matrix);
  down.row_scale = Mxfp4RowScales(down.matrix);

  auto ref = std::make_shared<FloatExpert>();
  ref->w_gate = DequantizeMxfp4(gate.matrix);
  ref->w_up = DequantizeMxfp4(up.matrix);
  ref->w_down = DequantizeMxfp4(down.matrix);
  const std::vector<float> gub_all = file.ReadFloat(gu_bias);
  const std::vector<float> dnb_all = file.ReadFloat(dn_bias);
  for (std::uint64_t r = 0; r < width; ++r) {
    ref->b_gate.push_back(gub_all[expert * 2 * width + 2 * r]);
    ref->b_up.push_back(gub_all[expert * 2 * width + 2 * r + 1]);
  }
  ref->b_down.assign(dnb_all.begin() + static_cast<std::ptrdiff_t>(expert * d_model),
                     dnb_all.begin() + static_cast<std::ptrdiff_t>((expert + 1) * d_model));
  const std::string what = file.path() + ": " + prefix + " expert " + std::to_string(expert);
  const ActivationScales scales = CalibrateActivationScales(*ref, shape, Activation::kSwiGluClamped, opt);
  return AssembleExpert(shape, WeightFormat::kMxfp4, Activation::kSwiGluClamped, std::move(gate), std::move(up),
                        std::move(down), std::move(ref), scales, what);
}

}  // namespace moefab::chips
