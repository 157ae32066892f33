// Reading and writing safetensors files (8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the data section), and
// loading one expert from them: (a) from float tensors named by the caller, quantised to a
// chosen format; (b) natively from gpt-oss MXFP4 tensors (codes and E8M0 exponents taken as
// they are, only the requant constants derived). Tensors are read on demand with seeks, so
// multi-GB checkpoint shards are never read whole.
// Omits: memory mapping, sharded index files (model.safetensors.index.json), writing F16.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "chips/numerics/expert_weights.h"
#include "chips/numerics/quantize.h"

namespace moefab::chips {

enum class SafetensorsDtype : std::uint8_t {
  kF64,
  kF32,
  kF16,
  kBF16,
  kI64,
  kI32,
  kI16,
  kI8,
  kU64,
  kU32,
  kU16,
  kU8,
  kBool,
  kF8E4M3,
  kF8E5M2
};
const char* SafetensorsDtypeName(SafetensorsDtype d);   // "F32", "BF16", ...
std::size_t SafetensorsDtypeBytes(SafetensorsDtype d);  // bytes per element

/// One tensor of a file's header.
struct TensorInfo {
  std::string name;                  // header key
  SafetensorsDtype dtype{};          // element type
  std::vector<std::uint64_t> shape;  // dimensions (empty = scalar)
  std::uint64_t data_begin = 0;      // byte offset in the data section
  std::uint64_t data_end = 0;        // one past the last byte
  [[nodiscard]] std::uint64_t elements() const;
};

/// An opened safetensors file: the header is parsed and checked at Open (every malformed file
/// is a ConfigError naming the file, the tensor and the problem); data is read on demand.
class SafetensorsFile {
 public:
  [[nodiscard]] static SafetensorsFile Open(const std::string& path);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::vector<TensorInfo>& tensors() const { return tensors_; }  // header order
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  [[nodiscard]] const TensorInfo* Find(const std::string& name) const;  // nullptr if absent
  [[nodiscard]] const TensorInfo& Get(const std::string& name) const;   // ConfigError if absent
  /// All elements as float; F32, F16, BF16 and F64 only (ConfigError for other dtypes).
  [[nodiscard]] std::vector<float> ReadFloat(const std::string& name) const;
  /// All bytes of a U8 tensor (ConfigError for other dtypes).
  [[nodiscard]] std::vector<std::uint8_t> ReadU8(const std::string& name) const;
  /// `count` raw bytes of a tensor's data starting `offset` bytes into it.
  [[nodiscard]] std::vector<std::uint8_t> ReadBytes(const std::string& name, std::uint64_t offset,
                                                    std::uint64_t count) const;
  /// ConfigError naming the file and tensor unless the shape equals `expected`; `meaning`
  /// describes the dimensions, e.g. "width x d_model".
  void CheckShape(const TensorInfo& t, const std::vector<std::uint64_t>& expected, const std::string& meaning) const;

 private:
  std::string path_;                                           // as given to Open
  std::uint64_t data_start_ = 0;                               // file offset of the data section
  std::vector<TensorInfo> tensors_;                            // header order
  std::vector<std::pair<std::string, std::string>> metadata_;  // "__metadata__" entries
};

/// A tensor to write: raw little-endian element bytes.
struct TensorToWrite {
  std::string name;                  // header key
  SafetensorsDtype dtype{};          // element type
  std::vector<std::uint64_t> shape;  // dimensions
  std::vector<std::uint8_t> bytes;   // elements() * dtype bytes
};
[[nodiscard]] TensorToWrite F32Tensor(std::string name, std::vector<std::uint64_t> shape,
                                      std::span<const float> values);
/// Rounded to nearest even.
[[nodiscard]] TensorToWrite BF16Tensor(std::string name, std::vector<std::uint64_t> shape,
                                       std::span<const float> values);
[[nodiscard]] TensorToWrite U8Tensor(std::string name, std::vector<std::uint64_t> shape,
                                     std::span<const std::uint8_t> values);
/// Writes tensors in the given order (data contiguous, header padded to 8 bytes). ConfigError
/// if the file cannot be written or a tensor's byte size does not match its shape.
void WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::vector<std::pair<std::string, std::string>>& metadata = {});

/// BF16 / F16 bits to float (exact).
[[nodiscard]] float Bf16ToFloat(std::uint16_t bits);
[[nodiscard]] float F16ToFloat(std::uint16_t bits);
[[nodiscard]] std::uint16_t FloatToBf16(float v);  // round to nearest even

/// Names of an expert's float tensors: weights [out][in] as nn.Linear stores them (gate and up
/// [width, d_model], down [d_model, width]); biases [width] / [d_model], empty name = none.
struct FloatExpertTensors {
  std::string w_gate, w_up, w_down;  // required
  std::string b_gate, b_up, b_down;  // optional
};

/// Loads the float expert (ConfigError for a missing tensor or a wrong shape for `shape`).
[[nodiscard]] FloatExpert LoadFloatExpert(const SafetensorsFile& file, const FloatExpertTensors& names,
                                          ExpertShape shape);
/// LoadFloatExpert, then QuantizeExpert (calibrated) to `format`; `reference` is set.
[[nodiscard]] ExpertWeights LoadQuantizedExpert(const SafetensorsFile& file, const FloatExpertTensors& names,
                                                ExpertShape shape, WeightFormat format, Activation act,
                                                const CalibrationOptions& opt = {});

/// Loads expert `expert` of a gpt-oss MoE layer natively in MXFP4 from `<prefix>gate_up_proj_
/// {blocks,scales,bias}` ([E, 2I, D/32, 16] u8, [E, 2I, D/32] u8, [E, 2I]; rows interleaved:
/// even rows gate, odd rows up) and `<prefix>down_proj_{blocks,scales,bias}` ([E, D, I/32, 16],
/// [E, D, I/32], [E, D]). Two E2M1 codes per byte, low nibble first. The shape comes from the
/// tensors; a non-zero `expected` must match it. The activation is kSwiGluClamped; `reference`
/// is the exact dequantised model (with biases); requant constants from calibration.
/// prefix is e.g. "model.layers.7.mlp.experts.".
/// Checks every expert of one layer at load (chips/numerics/gpt_oss_weights.cc): the layout as
/// above, no E8M0 scale 255 (NaN), finite biases. ConfigError naming file, tensor and element.
void CheckGptOssExperts(const SafetensorsFile& file, const std::string& prefix, ExpertShape expected);
[[nodiscard]] ExpertWeights LoadGptOssExpert(const SafetensorsFile& file, const std::string& prefix,
                                             std::uint32_t expert, ExpertShape expected = {},
                                             const CalibrationOptions& opt = {});

}  // namespace moefab::chips
