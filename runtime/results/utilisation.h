// MoE utilisation of the hardwired expert chips: only top-k of E experts work per token, so
// most etched weights idle. Per expert chip and overall: the fraction of the etched weights a
// token uses (jobs per token x 3DI over the chip's slots x 3DI) and the MAC-lane utilisation
// (useful MACs over the lanes' capacity across the makespan: each slot has LANES MACs for gate,
// up and down, 3 x LANES per cycle). Computed from the merged chip records, so it is identical
// for any rank count. Omits: HBM (memory-weight) chips (no etched weights, no lanes).
// Area: each expert chip holds one engine per slot, each engine's transistors from the
// analytic model chips/area/area_model.h (calibrated on yosys fits; die area at the SKU's
// transistors_per_mm2). Expert engines only: no attention chips, I/O, SRAM or wiring.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config/options.h"
#include "runtime/results/rank_report.h"

namespace moefab {

struct ChipUtilisation {
  NodeId node = 0;
  uint32_t sku = 0;
  uint64_t etched_weights = 0;          // slots x 3DI
  double weights_used_per_token = 0;    // jobs x 3DI / tokens
  double weight_use_fraction = 0;       // weights_used_per_token / etched_weights
  double mac_lane_utilisation = 0;      // jobs x 3DI / (slots x 3 lanes x cycles of the makespan)
  double transistors = 0;               // slots x the SKU's engine transistors
  double die_mm2 = 0;                   // transistors / the SKU's transistors_per_mm2
};

/// The modelled engine of one expert SKU (chips/area/area_model.h).
struct SkuArea {
  uint32_t sku = 0;
  double engine_transistors = 0;  // one engine (one expert slot)
  double engine_rom_transistors = 0;  // of which mask-ROM bits (ROM style)
  std::string calibration;        // which fits the figures come from
};

struct Utilisation {
  std::vector<ChipUtilisation> chips;  // etched expert chips, by node
  uint64_t etched_weights = 0;         // over those chips
  double weights_used_per_token = 0;
  double weight_use_fraction = 0;
  double mac_lane_utilisation = 0;     // useful MACs over the lanes' capacity, all chips
  std::vector<SkuArea> skus;           // expert SKUs with etched weights, by index
  double transistors = 0;              // all etched expert chips
  double die_mm2 = 0;
  double transistors_per_etched_weight = 0;
};

/// `tokens`: tokens completed; `span_ps`: the makespan (> 0).
Utilisation ComputeUtilisation(const RunOptions& o, const std::vector<ChipRecord>& chips, uint64_t tokens,
                               double span_ps);

}  // namespace moefab
