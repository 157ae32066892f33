// ValidateExpertWeights: every bad field is a ConfigError naming the expert, the matrix, the
// field, the index and the value; format names and sizes.
#include "chips/numerics/expert_weights.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "chips/numerics/quantize.h"
#include "core/error.h"

namespace moefab::chips {
namespace {

TEST(WeightFormat, NamesAndBits) {
  EXPECT_STREQ(WeightFormatName(WeightFormat::kInt4), "INT4");
  EXPECT_STREQ(WeightFormatName(WeightFormat::kInt3), "INT3");
  EXPECT_STREQ(WeightFormatName(WeightFormat::kMxfp4), "MXFP4");
  EXPECT_EQ(WeightBitsPerElement(WeightFormat::kInt4), 4.0);
  EXPECT_EQ(WeightBitsPerElement(WeightFormat::kInt3), 3.0);
  EXPECT_EQ(WeightBitsPerElement(WeightFormat::kMxfp4), 4.25);
}

// Applies `mutate` to a valid expert and expects a ConfigError containing every `needle`.
void ExpectRejected(WeightFormat f, const std::function<void(ExpertWeights&)>& mutate,
                    std::initializer_list<const char*> needles) {
  ExpertWeights w = MakeSyntheticExpertWeights({40, 72}, f, Activation::kSwiGluClamped, 1);
  ASSERT_NO_THROW(ValidateExpertWeights(w, "layer 3 expert 7"));
  mutate(w);
  try {
    ValidateExpertWeights(w, "layer 3 expert 7");
    ADD_FAILURE() << "accepted; expected an error with " << *needles.begin();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layer 3 expert 7: "), std::string::npos) << msg;
    for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg << " / " << n;
  }
}

TEST(ValidateExpertWeights, RejectsEachBadField) {
  using F = WeightFormat;
  ExpectRejected(F::kInt4, [](auto& w) { w.gate.q[5] = 8; }, {"gate.q[5]=8", "[-8, 7]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.down.q[7] = -9; }, {"down.q[7]=-9", "[-8, 7]"});
  ExpectRejected(F::kInt3, [](auto& w) { w.up.q[11] = -5; }, {"up.q[11]=-5", "[-4, 3]"});
  ExpectRejected(F::kInt3, [](auto& w) { w.up.q[0] = 4; }, {"up.q[0]=4", "INT3"});
  ExpectRejected(F::kMxfp4, [](auto& w) { w.down.q[3] = 16; }, {"down.q[3]=16", "[0, 15]"});
  ExpectRejected(F::kMxfp4, [](auto& w) { w.down.q[3] = -1; }, {"down.q[3]=-1", "code"});
  ExpectRejected(F::kMxfp4, [](auto& w) { w.gate.block_exp[4] = 255; }, {"gate.block_exp[4]=255", "NaN"});
  ExpectRejected(F::kMxfp4, [](auto& w) { w.gate.block_exp.pop_back(); }, {"gate.block_exp.size()=143", "144"});
  ExpectRejected(F::kInt4, [](auto& w) { w.up.block_exp = {1}; }, {"up.block_exp.size()=1", "0"});
  ExpectRejected(F::kInt4, [](auto& w) { w.gate.mult[2] = 1 << 24; }, {"gate.mult[2]=16777216", "[0, 2^24)"});
  ExpectRejected(F::kInt4, [](auto& w) { w.up.mult[1] = -1; }, {"up.mult[1]=-1"});
  ExpectRejected(F::kInt4, [](auto& w) { w.gate.shift[0] = 9; }, {"gate.shift[0]=9", "[10, 62]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.up.shift[3] = 63; }, {"up.shift[3]=63", "[10, 62]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.down.shift[39] = 0; }, {"down.shift[39]=0", "[1, 62]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.down.shift[1] = 63; }, {"down.shift[1]=63"});
  ExpectRejected(F::kInt4, [](auto& w) { w.up.bias.resize(3); }, {"up.bias.size()=3", "72"});
  ExpectRejected(F::kInt4, [](auto& w) { w.gate.q.resize(10); }, {"gate.q.size()=10", "2880"});
  ExpectRejected(F::kInt4, [](auto& w) { w.down.mult.resize(1); }, {"down.mult.size()=1", "40"});
  ExpectRejected(F::kInt4, [](auto& w) { w.down.shift.clear(); }, {"down.shift.size()=0"});
  ExpectRejected(F::kInt4, [](auto& w) { w.gate.rows = 71; }, {"gate.rows=71", "72"});
  ExpectRejected(F::kInt4, [](auto& w) { w.down.cols = 40; }, {"down.cols=40", "72"});
  ExpectRejected(F::kInt4, [](auto& w) { w.u_clamp = 129; }, {"u_clamp=129", "[0, 128]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.u_clamp = -1; }, {"u_clamp=-1"});
  ExpectRejected(F::kInt4, [](auto& w) { w.u_offset = -129; }, {"u_offset=-129", "[-128, 128]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.mult_prod = 1 << 24; }, {"mult_prod=16777216"});
  ExpectRejected(F::kInt4, [](auto& w) { w.shift_prod = 0; }, {"shift_prod=0", "[1, 62]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.shift_prod = 63; }, {"shift_prod=63"});
  ExpectRejected(F::kInt4, [](auto& w) { w.shape.d_model = 0; }, {"shape.d_model=0"});
  ExpectRejected(F::kInt4, [](auto& w) { w.shape.width = kMaxExpertDim + 1; }, {"shape.width=16385", "[1, 16384]"});
  ExpectRejected(F::kInt4, [](auto& w) { w.format = static_cast<WeightFormat>(3); }, {"format=3"});
  ExpectRejected(F::kInt4, [](auto& w) { w.activation = static_cast<Activation>(2); }, {"activation=2"});
}

TEST(ValidateExpertWeights, AcceptsRangeEnds) {
  ExpertWeights w = MakeSyntheticExpertWeights({40, 72}, WeightFormat::kMxfp4, Activation::kSwiGlu, 2);
  w.gate.block_exp[0] = 254;
  w.gate.block_exp[1] = 0;
  w.gate.mult[0] = (1 << 24) - 1;
  w.gate.mult[1] = 0;
  w.gate.shift[0] = 10;
  w.gate.shift[1] = 62;
  w.down.shift[0] = 1;
  w.u_clamp = 0;
  w.u_offset = 128;
  w.shift_prod = 62;
  w.gate.bias.clear();
  EXPECT_NO_THROW(ValidateExpertWeights(w));
}

}  // namespace
}  // namespace moefab::chips
