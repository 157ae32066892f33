// chips/area/area_model.h: the analytic engine area grows with the lanes and the weights, the
// ROM style's part beyond its logic is exactly its mask-ROM bits, and the model reproduces the
// README's transistors per weight of INT3 engines at 8 lanes (the same three-slice fits).
#include "chips/area/area_model.h"

#include <gtest/gtest.h>

#include "chips/area/area.h"

namespace moefab::chips::area {
namespace {

EngineConfig Engine(std::uint32_t d, std::uint32_t i, std::uint32_t lanes, WeightFormat f, Datapath dp,
                    WeightStyle s) {
  return EngineConfig{ExpertShape{d, i}, f, lanes, dp, s};
}

constexpr Datapath kDatapaths[] = {Datapath::kMac, Datapath::kProductSelect, Datapath::kBlockLibrary};
constexpr WeightStyle kStyles[] = {WeightStyle::kRom, WeightStyle::kHardwired};

TEST(AreaModelTest, GrowsWithLanesAndWithWeights) {
  for (WeightStyle s : kStyles)
    for (Datapath dp : {Datapath::kMac, Datapath::kProductSelect}) {
      SCOPED_TRACE(Engine(512, 1024, 8, WeightFormat::kInt4, dp, s).ToString());
      double last = 0;
      for (std::uint32_t lanes : {8u, 16u, 64u, 256u}) {
        const double t = ModelEngineArea(Engine(512, 1024, lanes, WeightFormat::kInt4, dp, s)).transistors;
        EXPECT_GT(t, last) << lanes << " lanes";
        last = t;
      }
      EXPECT_GT(ModelEngineArea(Engine(1024, 2048, 8, WeightFormat::kInt4, dp, s)).transistors,
                ModelEngineArea(Engine(512, 1024, 8, WeightFormat::kInt4, dp, s)).transistors);
    }
}

TEST(AreaModelTest, RomStyleCountsItsMaskRomBitsExactly) {
  for (Datapath dp : kDatapaths)
    for (WeightFormat f : {WeightFormat::kInt3, WeightFormat::kInt4, WeightFormat::kMxfp4}) {
      const EngineConfig c = Engine(256, 512, 8, f, dp, WeightStyle::kRom);
      const EngineAreaEstimate e = ModelEngineArea(c);
      EXPECT_DOUBLE_EQ(e.rom_transistors, double(RomBits(c))) << c.ToString();
      EXPECT_DOUBLE_EQ(e.transistors, e.logic_transistors + e.rom_transistors);
      EXPECT_EQ(ModelEngineArea(Engine(256, 512, 8, f, dp, WeightStyle::kHardwired)).rom_transistors, 0.0);
    }
}

// The README's "Transistors per weight, three datapaths, three-slice fits" table, INT3, 8 lanes,
// one engine per 2880 x 2880 expert: the same fits, so the same figures (to its two decimals).
TEST(AreaModelTest, ReproducesTheReadmeTransistorsPerWeight) {
  const double expected[2][3] = {{3.22, 3.22, 4.47}, {5.24, 5.88, 1.59}};
  for (int s = 0; s < 2; ++s)
    for (int d = 0; d < 3; ++d) {
      const EngineConfig c = Engine(2880, 2880, 8, WeightFormat::kInt3, kDatapaths[d], kStyles[s]);
      const double per_weight = ModelEngineArea(c).transistors / (3.0 * 2880 * 2880);
      EXPECT_NEAR(per_weight, expected[s][d], 0.006) << c.ToString();
    }
}

TEST(AreaModelTest, RomBeatsHardwiredMacAtScale) {
  for (WeightFormat f : {WeightFormat::kInt3, WeightFormat::kInt4}) {
    const double rom = ModelEngineArea(Engine(2880, 2880, 8, f, Datapath::kMac, WeightStyle::kRom)).transistors;
    const double hw = ModelEngineArea(Engine(2880, 2880, 8, f, Datapath::kMac, WeightStyle::kHardwired)).transistors;
    EXPECT_LT(rom, hw) << FormatTag(f);
  }
}

}  // namespace
}  // namespace moefab::chips::area
