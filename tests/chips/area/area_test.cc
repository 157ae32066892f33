// chips/area: the yosys flow on tiny slices gives positive, self-consistent numbers; the
// ROM-bit formula matches the generator's ROM image; yosys failures and timeouts are
// ConfigErrors that say what happened.
#include <gtest/gtest.h>

#include <string>

#include "chips/area/area.h"
#include "chips/numerics/quantize.h"
#include "chips/tapeout/hardwired_generator.h"
#include "core/error.h"

namespace moefab::chips::area {
namespace {

EngineConfig Slice(std::uint32_t d, std::uint32_t i, std::uint32_t lanes, WeightFormat f, Datapath dp, WeightStyle s) {
  return EngineConfig{ExpertShape{d, i}, f, lanes, dp, s};
}

void ExpectConsistent(const SliceArea& a, const AreaOptions& o) {
  SCOPED_TRACE(a.config.ToString());
  EXPECT_GT(a.cells, 0u);
  EXPECT_GT(a.nand, 0u);
  EXPECT_GT(a.flip_flops, 0u);
  EXPECT_EQ(a.cells, a.nand + a.inverters + a.flip_flops + a.rom_macros);
  EXPECT_DOUBLE_EQ(a.nand2_eq,
                   double(a.nand) + o.nand2_per_not * double(a.inverters) + o.nand2_per_dff * double(a.flip_flops));
  EXPECT_DOUBLE_EQ(a.logic_transistors, 4.0 * a.nand2_eq);
  EXPECT_DOUBLE_EQ(a.transistors, a.logic_transistors + double(a.rom_bits));
  EXPECT_EQ(a.weights, 3ull * a.config.shape.d_model * a.config.shape.width);
}

TEST(Area, RomBitsMatchTheGeneratorsRomImage) {
  for (WeightFormat f : {WeightFormat::kInt4, WeightFormat::kInt3, WeightFormat::kMxfp4}) {
    for (std::uint32_t lanes : {4u, 8u, 64u}) {
      const EngineConfig c = Slice(40, 72, lanes, f, Datapath::kMac, WeightStyle::kRom);
      const ExpertWeights w = MakeSyntheticExpertWeights(c.shape, f, Activation::kSwiGlu, 1);
      const tapeout::RomImage img = tapeout::BuildRomImage(w, tapeout::RtlParams{40, 72, lanes, f, 0});
      EXPECT_EQ(RomBits(c), img.TotalBits()) << c.ToString();
      if (lanes > 8) continue;
      // Block library: index words and the library (its depth is the bound).
      EngineConfig bl = c;
      bl.datapath = Datapath::kBlockLibrary;
      const tapeout::RomImage bimg = tapeout::BuildRomImage(w, tapeout::RtlParams{40, 72, lanes, f, 2});
      EXPECT_EQ(RomBits(bl), bimg.TotalBits()) << bl.ToString();
    }
  }
}

// Three tiny slices (each yosys run costs ~25 CPU seconds, mostly the fixed 64-bit requant
// datapath): positive and self-consistent numbers; the ROM style keeps its ROMs as macros
// (counted per bit), the hardwired style has none; more lanes give more cells.
TEST(Area, TinySlicesAreSelfConsistentAndScaleWithLanes) {
  AreaOptions o;
  const SliceArea rom = SynthesizeSlice(Slice(4, 8, 4, WeightFormat::kInt4, Datapath::kMac, WeightStyle::kRom), o);
  ExpectConsistent(rom, o);
  EXPECT_GT(rom.rom_macros, 0u);
  EXPECT_EQ(rom.rom_bits, RomBits(rom.config));
  const SliceArea hw =
      SynthesizeSlice(Slice(4, 8, 4, WeightFormat::kInt4, Datapath::kProductSelect, WeightStyle::kHardwired), o);
  ExpectConsistent(hw, o);
  EXPECT_EQ(hw.rom_macros, 0u);
  EXPECT_EQ(hw.rom_bits, 0u);
  // Hardwiring replaces the ROM macros and their load port by constant logic: fewer
  // transistors per weight than ROM + MAC on the same slice.
  EXPECT_LT(hw.transistors_per_weight(), rom.transistors_per_weight());
  const SliceArea rom2 = SynthesizeSlice(Slice(4, 8, 2, WeightFormat::kInt4, Datapath::kMac, WeightStyle::kRom), o);
  ExpectConsistent(rom2, o);
  EXPECT_GT(rom.cells, rom2.cells);
  EXPECT_GT(rom.nand2_eq, rom2.nand2_eq);
}

TEST(Area, YosysFailureTimeoutAndAbsenceAreConfigErrors) {
  const EngineConfig c = Slice(4, 8, 4, WeightFormat::kInt4, Datapath::kMac, WeightStyle::kRom);
  AreaOptions o;
  o.yosys = "false";
  try {
    SynthesizeSlice(c, o);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("failed with exit code 1"), std::string::npos) << e.what();
  }
  o.yosys = "/nonexistent/moefab-yosys";
  try {
    SynthesizeSlice(c, o);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not installed"), std::string::npos) << e.what();
  }
  o.yosys.clear();
  o.yosys_timeout_seconds = 0.2;
  try {
    SynthesizeSlice(c, o);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("yosys_timeout_seconds"), std::string::npos);
  }
}

TEST(Area, BadConfigsAreConfigErrors) {
  AreaOptions o;
  EXPECT_THROW(EstimateArea(Slice(8, 8, 0, WeightFormat::kInt4, Datapath::kMac, WeightStyle::kRom), o), ConfigError);
  EXPECT_THROW(EstimateArea(Slice(8, 8, 12, WeightFormat::kMxfp4, Datapath::kMac, WeightStyle::kRom), o), ConfigError);
  o.slice_small = {16, 16};
  o.slice_large = {8, 8};
  EXPECT_THROW(EstimateArea(Slice(8, 8, 8, WeightFormat::kInt4, Datapath::kMac, WeightStyle::kRom), o), ConfigError);
}

}  // namespace
}  // namespace moefab::chips::area
