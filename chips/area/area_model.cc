#include "chips/area/area_model.h"

#include <algorithm>

#include "chips/area/area.h"

namespace moefab::chips::area {

namespace {

// One design point's fit at 8 lanes, INT3 (transistors; `build/chips/area/moefab_area_probe 8
// int3 8 16 16 32`, yosys 0.23, synthetic weights, counting rules of area.h; measured
// 2026-12-03, the figures of the README's INT3 table), and its cost per lane: (T at 8 lanes - T
// at 4 lanes) / 4 on the same two slices 8x16 and 16x32 (`...probe 4 int3 8 16 16 32`),
// averaged (the two slices agree within 1% for MAC, 2% for product-select, 8% for the
// hardwired block library). A ROM style's negative gate growth per weight is taken as 0, its
// fixed part fitted through the large slice (area.h).
struct Fit {
  double fixed_logic;        // gates independent of the shape
  double logic_per_weight;   // gates per weight (3DI): the hardwired constants decoded in logic
  double logic_per_element;  // gates per element of D + I (activation buffers' read muxes)
  double ff_fixed;           // flip-flops independent of the shape
  double ff_per_element;     // flip-flops per element of D + I
  double per_lane;           // gates and flip-flops per MAC lane beyond 8
};

// [style][datapath]: ROM {mac, psel, blib}, HARDWIRED {mac, psel, blib}.
constexpr Fit kInt3Lanes8[2][3] = {
    {
        {321932, 0, 454.8, 22920, 330.0, 6748.75},
        {357194, 0, 444.9, 22920, 330.0, 11437.5},
        {355202, 0, 454.9, 22920, 330.0, 11144.25},
    },
    {
        {279504, 5.05, 421.1, 25488, 330.0, 6815.0},
        {314862, 5.70, 385.4, 25488, 330.0, 11114.75},
        {328588, 1.39, 475.9, 25824, 332.0, 13360.0},
    },
};

// Hardwired gates per weight of INT4 engines at 8 lanes (`...probe 8 int4`, three slices):
// MAC, product-select, block library.
constexpr double kInt4HardwiredPerWeight[3] = {9.11, 10.45, 26.11};

}  // namespace

EngineAreaEstimate ModelEngineArea(const EngineConfig& c) {
  const Fit& f = kInt3Lanes8[c.style == WeightStyle::kRom ? 0 : 1][static_cast<int>(c.datapath)];
  const double weights = 3.0 * double(c.shape.d_model) * double(c.shape.width);
  const double elements = double(c.shape.d_model) + double(c.shape.width);
  double per_weight = f.logic_per_weight;
  EngineAreaEstimate e;
  e.calibration = "three-slice yosys fits, INT3, 8 lanes; per lane from 4 and 8 lanes";
  if (c.style == WeightStyle::kHardwired && c.format != WeightFormat::kInt3) {
    per_weight = kInt4HardwiredPerWeight[static_cast<int>(c.datapath)];
    e.calibration += c.format == WeightFormat::kInt4 ? "; gates per weight of the INT4 fits"
                                                      : "; gates per weight of the INT4 fits (MXFP4 not measured)";
  }
  const double lanes = double(c.lanes);
  e.logic_transistors = std::max(0.0, f.fixed_logic + f.per_lane * (lanes - 8.0) + per_weight * weights +
                                          f.logic_per_element * elements + f.ff_fixed + f.ff_per_element * elements);
  e.rom_transistors = c.style == WeightStyle::kRom ? double(RomBits(c)) : 0.0;  // 1 T per mask-ROM bit
  e.transistors = e.logic_transistors + e.rom_transistors;
  return e;
}

}  // namespace moefab::chips::area
