// An analytic area model of one expert engine, calibrated on the yosys fits of area.h: no
// synthesis at run time, so every run (results.json `utilisation`) and every sweep point
// (sweep.csv, sweep.html) can carry the area of its expert chips.
//
//   engine transistors = fixed logic + per lane x (lanes - 8) + per weight x 3DI
//                        + per element x (D + I) + flip-flops (fixed + per element x (D + I))
//                        + mask-ROM bits (ROM style, 1 T per bit, exact: RomBits)
//
// Coefficients per weight style and datapath from the three-slice fits of INT3 engines at 8
// lanes (slices 8x16, 16x32, 8x64); the per-lane cost from the same slices synthesized at 4
// and at 8 lanes (their difference over 4 lanes). Hardwired INT4 and MXFP4 take the INT4 fits'
// gates per weight (MXFP4 is not measured on its own). The model is linear in the lanes: from
// 4-8 measured lanes to hundreds it is an extrapolation, not a measurement. Chips hold one
// engine per expert slot; memory-weight (HBM) chips have no engine and no modelled area.
#pragma once

#include <cstdint>
#include <string>

#include "chips/expert_engine.h"

namespace moefab::chips::area {

struct EngineAreaEstimate {
  double logic_transistors = 0;  // gates and flip-flops
  double rom_transistors = 0;    // mask-ROM bits (ROM style)
  double transistors = 0;        // both
  std::string calibration;       // which fits the figures come from
};

/// One engine of `config` (its shape, lanes, format, datapath and style).
EngineAreaEstimate ModelEngineArea(const EngineConfig& config);

}  // namespace moefab::chips::area
