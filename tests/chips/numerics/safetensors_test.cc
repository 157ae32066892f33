// safetensors: writer / reader round trips (F32, BF16, F16, U8, metadata), loading experts from
// float tensors and natively from the gpt-oss MXFP4 layout (2 experts), and a ConfigError naming
// the file and the problem for every malformed file.
#include "chips/numerics/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "core/error.h"

namespace moefab::chips {
namespace {

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("moefab_st_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // A file from a raw header string and data bytes (header length written as given).
  std::string WriteRaw(const std::string& name, const std::string& header, std::size_t data_bytes,
                       std::uint64_t header_len_override = 0) const {
    const std::string p = Path(name);
    std::ofstream out(p, std::ios::binary);
    const std::uint64_t len = header_len_override ? header_len_override : header.size();
    for (int k = 0; k < 8; ++k) out.put(static_cast<char>(len >> (8 * k)));
    out << header << std::string(data_bytes, '\0');
    return p;
  }

  std::filesystem::path dir_;  // per-test scratch directory
};

// Expects Open (or `action`) to throw a ConfigError naming the file and containing `problem`.
template <typename F>
void ExpectError(const std::string& path, const std::string& problem, F action) {
  try {
    action();
    ADD_FAILURE() << "no error for " << problem;
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(problem), std::string::npos) << msg << " / expected: " << problem;
  }
}

TEST_F(SafetensorsTest, RoundTripDtypesAndMetadata) {
  const std::vector<float> f32 = {1.5f, -2.25f, 3.0e-20f, 12345.678f, 0.0f, -0.0f};
  const std::vector<float> bf = {
      1.0f, -2.0f, 0.15625f, 1.00390625f /* tie -> 1.0 */, 1.01171875f /* tie -> 1.015625 */, 65536.0f};
  const std::vector<std::uint8_t> u8 = {0, 1, 254, 255};
  TensorToWrite f16{"half", SafetensorsDtype::kF16, {4}, {}};
  for (const std::uint16_t h : std::vector<std::uint16_t>{0x3C00, 0xC000, 0x0001, 0x7BFF}) {
    f16.bytes.push_back(static_cast<std::uint8_t>(h));
    f16.bytes.push_back(static_cast<std::uint8_t>(h >> 8));
  }
  const std::string p = Path("a.safetensors");
  WriteSafetensors(
      p, {F32Tensor("w.\"quoted\"", {2, 3}, f32), BF16Tensor("b", {6}, bf), U8Tensor("codes", {2, 2}, u8), f16},
      {{"format", "pt"}, {"note", "line\nbreak"}});
  const SafetensorsFile f = SafetensorsFile::Open(p);
  ASSERT_EQ(f.tensors().size(), 4u);
  EXPECT_EQ(f.tensors()[0].name, "w.\"quoted\"");
  EXPECT_EQ(f.tensors()[0].shape, (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(f.ReadFloat("w.\"quoted\""), f32);
  const std::vector<float> bf_back = f.ReadFloat("b");
  EXPECT_EQ(bf_back, (std::vector<float>{1.0f, -2.0f, 0.15625f, 1.0f, 1.015625f, 65536.0f}));
  EXPECT_EQ(f.ReadU8("codes"), u8);
  EXPECT_EQ(f.ReadFloat("half"), (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f}));
  EXPECT_EQ(f.ReadBytes("codes", 1, 2), (std::vector<std::uint8_t>{1, 254}));
  ASSERT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata()[1].second, "line\nbreak");
  EXPECT_EQ(f.Find("nope"), nullptr);
  ExpectError(p, "'nope': missing", [&] { (void)f.Get("nope"); });
  ExpectError(p, "expected U8", [&] { (void)f.ReadU8("b"); });
  ExpectError(p, "expected F32, F16, BF16 or F64", [&] { (void)f.ReadFloat("codes"); });
}

TEST_F(SafetensorsTest, MalformedFilesAreConfigErrors) {
  const auto open = [](const std::string& p) { return [p] { (void)SafetensorsFile::Open(p); }; };
  std::string p = Path("short.safetensors");
  { std::ofstream(p) << "abc"; }
  ExpectError(p, "too short", open(p));
  p = WriteRaw("len.safetensors", "{}", 0, 1000);
  ExpectError(p, "header length 1000 goes beyond the file", open(p));
  p = WriteRaw("json.safetensors", "{\"a\": {\"dtype\": \"F32\", ", 0);
  ExpectError(p, "bad JSON", open(p));
  p = WriteRaw("json2.safetensors", "[1, 2]", 0);
  ExpectError(p, "expected an object", open(p));
  p = WriteRaw("dup.safetensors", "{\"a\":1,\"a\":2}", 0);
  ExpectError(p, "duplicate key", open(p));
  p = WriteRaw("dtype.safetensors", "{\"t\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  ExpectError(p, "tensor 't': unknown dtype 'F33'", open(p));
  p = WriteRaw("off.safetensors", "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
  ExpectError(p, "tensor 't': data_offsets [0, 16] outside the data section (8 bytes)", open(p));
  p = WriteRaw("rev.safetensors", "{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8);
  ExpectError(p, "tensor 't': data_offsets", open(p));
  p = WriteRaw("size.safetensors", "{\"t\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[0,8]}}", 8);
  ExpectError(p, "tensor 't': shape [3, 2] of BF16 needs 12 bytes, data_offsets give 8", open(p));
  p = WriteRaw("neg.safetensors", "{\"t\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0);
  ExpectError(p, "tensor 't': shape entry '-1'", open(p));
  p = WriteRaw("fields.safetensors", "{\"t\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1);
  ExpectError(p, "tensor 't': header entry needs dtype, shape and data_offsets", open(p));
  p = WriteRaw("meta.safetensors", "{\"__metadata__\":{\"k\":3}}", 0);
  ExpectError(p, "__metadata__.k: expected a string", open(p));
  ExpectError(Path("absent.safetensors"), "cannot open", open(Path("absent.safetensors")));
  // A valid empty file opens.
  p = WriteRaw("empty.safetensors", "{}      ", 0);
  EXPECT_TRUE(SafetensorsFile::Open(p).tensors().empty());
}

// Issue 12: what the reference implementation refuses is refused too, and a corrupt header's
// bytes are quoted escaped (never raw) in the message.
TEST_F(SafetensorsTest, OverlapsBadNamesAndRawBytesAreRefused) {
  const auto open = [](const std::string& p) { return [p] { (void)SafetensorsFile::Open(p); }; };
  std::string p = WriteRaw("overlap.safetensors",
                           "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                           "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}",
                           8);
  ExpectError(p, "tensor 'b': data_offsets [4, 8] overlap those of tensor 'a' [0, 8]: expected disjoint tensors",
              open(p));
  p = WriteRaw("utf8.safetensors", "{\"a\xff\xfe\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
  ExpectError(p, "tensor 'a\\xff\\xfe': name is not valid UTF-8", open(p));
  p = WriteRaw("raw.safetensors", "{\"t\":{\"dtype\":\"F\x7fX\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
  ExpectError(p, "unknown dtype 'F\\x7fX'", open(p));
  // Touching tensors and empty tensors at the same offset are fine.
  p = WriteRaw("touch.safetensors",
               "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
               "\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]},"
               "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}",
               8);
  EXPECT_EQ(SafetensorsFile::Open(p).tensors().size(), 3u);
}

FloatExpertTensors MixtralNames() {
  return {"experts.0.w1.weight", "experts.0.w3.weight", "experts.0.w2.weight", "", "", ""};
}

TEST_F(SafetensorsTest, FloatExpertLoadsAndQuantisesLikeInMemory) {
  const ExpertShape shape{64, 128};
  for (const bool bf16 : {false, true}) {
    FloatExpert f = MakeSyntheticFloatExpert(shape, Activation::kSwiGlu, 21);
    if (bf16) {  // the in-memory expert sees the same rounded weights as the file
      for (auto* v : {&f.w_gate, &f.w_up, &f.w_down}) {
        for (float& x : *v) x = Bf16ToFloat(FloatToBf16(x));
      }
    }
    const auto make = bf16 ? &BF16Tensor : &F32Tensor;
    const std::string p = Path(bf16 ? "bf16.safetensors" : "f32.safetensors");
    WriteSafetensors(p,
                     {make("experts.0.w1.weight", {128, 64}, f.w_gate), make("experts.0.w3.weight", {128, 64}, f.w_up),
                      make("experts.0.w2.weight", {64, 128}, f.w_down)});
    const SafetensorsFile file = SafetensorsFile::Open(p);
    for (const WeightFormat fmt : {WeightFormat::kInt4, WeightFormat::kMxfp4}) {
      const ExpertWeights loaded = LoadQuantizedExpert(file, MixtralNames(), shape, fmt, Activation::kSwiGlu);
      const ExpertWeights mem = QuantizeExpert(f, shape, fmt, Activation::kSwiGlu);
      EXPECT_EQ(loaded.gate.q, mem.gate.q);
      EXPECT_EQ(loaded.down.mult, mem.down.mult);
      std::vector<std::int16_t> h(64), y1(64), y2(64);
      std::vector<std::int8_t> x(64);
      for (std::uint64_t t = 0; t < 4; ++t) {
        MakeRandomHidden(t, h);
        const std::uint8_t e = DispatchExponent(h);
        QuantizeForDispatch(h, e, x);
        GoldenExpert(loaded, x, e, y1);
        GoldenExpert(mem, x, e, y2);
        EXPECT_EQ(y1, y2);
      }
    }
    // Wrong shape for the model, and a missing tensor.
    ExpectError(p, "tensor 'experts.0.w1.weight': shape [128, 64]: expected [64, 64]", [&] {
      (void)LoadFloatExpert(file, MixtralNames(), {64, 64});
    });
    FloatExpertTensors names = MixtralNames();
    names.b_down = "experts.0.b2";
    ExpectError(p, "tensor 'experts.0.b2': missing from the file", [&] { (void)LoadFloatExpert(file, names, shape); });
  }
}

// Packs in-memory MXFP4 experts into the gpt-oss tensors of one layer.
std::vector<TensorToWrite> GptOssTensors(const std::vector<ExpertWeights>& experts, const std::string& prefix) {
  const std::uint32_t d = experts[0].shape.d_model;
  const std::uint32_t w = experts[0].shape.width;
  const std::uint32_t nbd = (d + 31) / 32;
  const std::uint32_t nbi = (w + 31) / 32;
  const auto n = static_cast<std::uint64_t>(experts.size());
  std::vector<std::uint8_t> gu_blocks, gu_scales, dn_blocks, dn_scales;
  std::vector<float> gu_bias, dn_bias;
  const auto pack_row = [](const QuantMatrix& m, std::uint32_t r, std::vector<std::uint8_t>& out,
                           std::vector<std::uint8_t>& scales) {
    const std::uint32_t nb = (m.cols + 31) / 32;
    for (std::uint32_t b = 0; b < nb; ++b) {
      scales.push_back(m.block_exp[r * nb + b]);
      for (std::uint32_t k = 0; k < 32; k += 2) {
        const std::uint32_t c = b * 32 + k;
        const int lo = c < m.cols ? m.q[r * m.cols + c] : 0;
        const int hi = c + 1 < m.cols ? m.q[r * m.cols + c + 1] : 0;
        out.push_back(static_cast<std::uint8_t>(lo | (hi << 4)));
      }
    }
  };
  for (const ExpertWeights& e : experts) {
    for (std::uint32_t r = 0; r < w; ++r) {  // interleaved: gate row, up row
      pack_row(e.gate, r, gu_blocks, gu_scales);
      pack_row(e.up, r, gu_blocks, gu_scales);
      gu_bias.push_back(e.reference->b_gate[r]);
      gu_bias.push_back(e.reference->b_up[r]);
    }
    for (std::uint32_t j = 0; j < d; ++j) pack_row(e.down, j, dn_blocks, dn_scales);
    dn_bias.insert(dn_bias.end(), e.reference->b_down.begin(), e.reference->b_down.end());
  }
  return {U8Tensor(prefix + "gate_up_proj_blocks", {n, 2ull * w, nbd, 16}, gu_blocks),
          U8Tensor(prefix + "gate_up_proj_scales", {n, 2ull * w, nbd}, gu_scales),
          BF16Tensor(prefix + "gate_up_proj_bias", {n, 2ull * w}, gu_bias),
          U8Tensor(prefix + "down_proj_blocks", {n, d, nbi, 16}, dn_blocks),
          U8Tensor(prefix + "down_proj_scales", {n, d, nbi}, dn_scales),
          BF16Tensor(prefix + "down_proj_bias", {n, d}, dn_bias)};
}

TEST_F(SafetensorsTest, GptOssMxfp4LoadsNatively) {
  const std::string prefix = "model.layers.3.mlp.experts.";
  for (const ExpertShape shape : {ExpertShape{64, 128}, ExpertShape{40, 72}}) {
    std::vector<ExpertWeights> mem;
    for (std::uint64_t s = 0; s < 2; ++s) {
      mem.push_back(MakeSyntheticExpertWeights(shape, WeightFormat::kMxfp4, Activation::kSwiGluClamped, 100 + s));
    }
    const std::string p = Path("gptoss.safetensors");
    WriteSafetensors(p, GptOssTensors(mem, prefix), {{"format", "pt"}});
    const SafetensorsFile file = SafetensorsFile::Open(p);
    for (std::uint32_t e = 0; e < 2; ++e) {
      const ExpertWeights loaded = LoadGptOssExpert(file, prefix, e, shape);
      EXPECT_EQ(loaded.shape, shape);
      EXPECT_EQ(loaded.activation, Activation::kSwiGluClamped);
      // Codes and exponents taken as they are (no requantisation).
      EXPECT_EQ(loaded.gate.q, mem[e].gate.q);
      EXPECT_EQ(loaded.up.q, mem[e].up.q);
      EXPECT_EQ(loaded.down.q, mem[e].down.q);
      EXPECT_EQ(loaded.gate.block_exp, mem[e].gate.block_exp);
      EXPECT_EQ(loaded.down.block_exp, mem[e].down.block_exp);
      // The same expert assembled in memory from the same codes and the BF16 biases.
      auto ref = std::make_shared<FloatExpert>();
      ref->w_gate = DequantizeMxfp4(mem[e].gate);
      ref->w_up = DequantizeMxfp4(mem[e].up);
      ref->w_down = DequantizeMxfp4(mem[e].down);
      const auto bf = [](std::vector<float> v) {
        for (float& x : v) x = Bf16ToFloat(FloatToBf16(x));
        return v;
      };
      ref->b_gate = bf(mem[e].reference->b_gate);
      ref->b_up = bf(mem[e].reference->b_up);
      ref->b_down = bf(mem[e].reference->b_down);
      const ActivationScales sc = CalibrateActivationScales(*ref, shape, Activation::kSwiGluClamped);
      const auto qw = [](const QuantMatrix& m) {
        QuantizedWeights q;
        q.matrix.rows = m.rows;
        q.matrix.cols = m.cols;
        q.matrix.q = m.q;
        q.matrix.block_exp = m.block_exp;
        q.row_scale = Mxfp4RowScales(m);
        return q;
      };
      const ExpertWeights expect = AssembleExpert(shape, WeightFormat::kMxfp4, Activation::kSwiGluClamped,
                                                  qw(mem[e].gate), qw(mem[e].up), qw(mem[e].down), ref, sc);
      EXPECT_EQ(loaded.gate.mult, expect.gate.mult);
      EXPECT_EQ(loaded.gate.bias, expect.gate.bias);
      EXPECT_EQ(loaded.down.bias, expect.down.bias);
      std::vector<std::int16_t> h(shape.d_model), y1(shape.d_model), y2(shape.d_model), y3(shape.d_model);
      std::vector<std::int8_t> x(shape.d_model);
      for (std::uint64_t t = 0; t < 4; ++t) {
        MakeRandomHidden(t + 10 * e, h);
        const std::uint8_t ex = DispatchExponent(h);
        QuantizeForDispatch(h, ex, x);
        GoldenExpert(loaded, x, ex, y1);
        GoldenExpert(expect, x, ex, y2);
        GoldenExpert(mem[e], x, ex, y3);
        EXPECT_EQ(y1, y2);
        // The synthetic expert used float biases: the BF16 file differs only slightly.
        for (std::size_t j = 0; j < y1.size(); ++j) EXPECT_NEAR(y1[j], y3[j], 64) << j;
      }
    }
    ExpectError(p, "expert 2 out of range: the file has 2 experts",
                [&] { (void)LoadGptOssExpert(file, prefix, 2, shape); });
    ExpectError(p, "tensor 'model.layers.4.mlp.experts.gate_up_proj_blocks': missing",
                [&] { (void)LoadGptOssExpert(file, "model.layers.4.mlp.experts.", 0, shape); });
    ExpectError(
        p, "width " + std::to_string(shape.width) + ", expected " + std::to_string(2 * shape.width) + " for the model",
        [&] {
          (void)LoadGptOssExpert(file, prefix, 0, {shape.d_model, 2 * shape.width});
        });
    ExpectError(p, "blocks per row, expected ceil(d_model / 32)", [&] {
      (void)LoadGptOssExpert(file, prefix, 0, {shape.d_model + 64, shape.width});
    });
  }
}

TEST_F(SafetensorsTest, GptOssMalformedTensors) {
  const std::string prefix = "e.";
  const ExpertShape shape{64, 128};
  std::vector<ExpertWeights> mem = {
      MakeSyntheticExpertWeights(shape, WeightFormat::kMxfp4, Activation::kSwiGluClamped, 1)};
  // NaN scale.
  std::vector<TensorToWrite> t = GptOssTensors(mem, prefix);
  t[1].bytes[5] = 255;
  std::string p = Path("nan.safetensors");
  WriteSafetensors(p, t);
  ExpectError(p, "tensor 'e.gate_up_proj_scales': expert 0 row 2 block 1: E8M0 scale 255",
              [&] { (void)LoadGptOssExpert(SafetensorsFile::Open(p), prefix, 0); });
  // The load-time check of a whole layer finds it too, and a non-finite bias, before any run.
  ExpectError(p, "tensor 'e.gate_up_proj_scales': expert 0 scale 5: E8M0 scale 255",
              [&] { CheckGptOssExperts(SafetensorsFile::Open(p), prefix, shape); });
  t = GptOssTensors(mem, prefix);
  t[5].bytes[6] = 0x80, t[5].bytes[7] = 0x7F;  // BF16 element 3 of down_proj_bias: +inf
  p = Path("inf_bias.safetensors");
  WriteSafetensors(p, t);
  ExpectError(p, "tensor 'e.down_proj_bias': element 3 is inf: expected a finite value",
              [&] { CheckGptOssExperts(SafetensorsFile::Open(p), prefix, shape); });
  t = GptOssTensors(mem, prefix);
  p = Path("good.safetensors");
  WriteSafetensors(p, t);
  CheckGptOssExperts(SafetensorsFile::Open(p), prefix, shape);  // a good layer passes
  // Scales of the wrong shape.
  t = GptOssTensors(mem, prefix);
  t[4].shape = {1, 32, 8};
  p = Path("scales.safetensors");
  WriteSafetensors(p, t);
  ExpectError(p, "tensor 'e.down_proj_scales': shape [1, 32, 8]: expected [1, 64, 4]",
              [&] { (void)LoadGptOssExpert(SafetensorsFile::Open(p), prefix, 0); });
  // Blocks with a last dimension other than 16.
  t = GptOssTensors(mem, prefix);
  t[0].shape = {1, 256, 4, 8};
  p = Path("blocks.safetensors");
  WriteSafetensors(p, t);
  ExpectError(p, "tensor 'e.gate_up_proj_blocks': shape [1, 256, 4, 8]: expected [experts",
              [&] { (void)LoadGptOssExpert(SafetensorsFile::Open(p), prefix, 0); });
  // Blocks stored as F32 instead of U8.
  t = GptOssTensors(mem, prefix);
  t[3].dtype = SafetensorsDtype::kI8;
  p = Path("dtype.safetensors");
  WriteSafetensors(p, t);
  ExpectError(p, "tensor 'e.down_proj_blocks': dtype: expected U8",
              [&] { (void)LoadGptOssExpert(SafetensorsFile::Open(p), prefix, 0); });
  // Loaded natively, it is a valid expert: the prepared fast path accepts it.
  p = Path("ok.safetensors");
  WriteSafetensors(p, GptOssTensors(mem, prefix));
  EXPECT_NO_THROW((void)PrepareGolden(LoadGptOssExpert(SafetensorsFile::Open(p), prefix, 0)));
}

}  // namespace
}  // namespace moefab::chips
