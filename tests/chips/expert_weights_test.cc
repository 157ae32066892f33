// ValidateExpertWeights: wrong sizes and out-of-range values give clear ConfigErrors.
#include "chips/expert_weights.h"

#include <gtest/gtest.h>

#include <string>

#include "runtime/core/error.h"

namespace moefab::chips {
namespace {

std::string ErrorOf(const ExpertWeights& w) {
  try {
    ValidateExpertWeights(w);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ValidateExpertWeights, AcceptsSynthetic) {
  EXPECT_NO_THROW(ValidateExpertWeights(MakeSyntheticExpertWeights({40, 72}, 3)));
}

TEST(ValidateExpertWeights, SyntheticIsDeterministic) {
  const ExpertWeights a = MakeSyntheticExpertWeights({8, 16}, 5);
  const ExpertWeights b = MakeSyntheticExpertWeights({8, 16}, 5);
  const ExpertWeights c = MakeSyntheticExpertWeights({8, 16}, 6);
  EXPECT_EQ(a.w_gate, b.w_gate);
  EXPECT_EQ(a.mult_down, b.mult_down);
  EXPECT_NE(a.w_gate, c.w_gate);
}

TEST(ValidateExpertWeights, RejectsWrongSizes) {
  ExpertWeights w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.w_up.pop_back();
  EXPECT_EQ(ErrorOf(w),
            "ExpertWeights (shape 8x16): w_up has 127 entries, expected width*d_model = 128");
  w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.mult_down.push_back(1);
  EXPECT_EQ(ErrorOf(w), "ExpertWeights (shape 8x16): mult_down has 9 entries, expected "
                        "d_model = 8");
}

TEST(ValidateExpertWeights, RejectsBadShape) {
  ExpertWeights w;
  w.shape = {0, 16};
  EXPECT_NE(ErrorOf(w).find("shape 0x16 (d_model x width): each must be in [1, 65536]"),
            std::string::npos);
}

TEST(ValidateExpertWeights, RejectsOutOfRangeInt4) {
  ExpertWeights w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.w_down[2 * 16 + 5] = 8;
  EXPECT_EQ(ErrorOf(w),
            "ExpertWeights (shape 8x16): w_down[2][5]=8: outside the int4 range [-8, 7]");
  w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.w_gate[3] = -9;
  EXPECT_EQ(ErrorOf(w),
            "ExpertWeights (shape 8x16): w_gate[0][3]=-9: outside the int4 range [-8, 7]");
}

TEST(ValidateExpertWeights, RejectsMultipliersAndShifts) {
  ExpertWeights w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.mult_gate[4] = 1 << 24;
  EXPECT_EQ(ErrorOf(w), "ExpertWeights (shape 8x16): mult_gate[4]=16777216: requant "
                        "multiplier must be in [1, 2^24)");
  w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.mult_prod = 0;
  EXPECT_NE(ErrorOf(w).find("mult_prod=0"), std::string::npos);
  w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.shift_down = 41;
  EXPECT_EQ(ErrorOf(w),
            "ExpertWeights (shape 8x16): shift_down=41: requant shift must be in [1, 40]");
  w = MakeSyntheticExpertWeights({8, 16}, 1);
  w.shift_prod = 0;
  EXPECT_NE(ErrorOf(w).find("shift_prod=0"), std::string::npos);
}

}  // namespace
}  // namespace moefab::chips
