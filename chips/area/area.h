// Area of expert engines from logic synthesis of a small slice (yosys), extrapolated to whole
// experts and whole models. Models: the engine of chips/rtl/expert_engine.sv in both weight
// styles (ROM: mask-ROM macros read by the datapath; HARDWIRED: the weights as constants,
// synthesized into logic by the generator of chips/tapeout) and the three datapaths (MAC,
// product-select, block library; the last at lanes 4 and 8 only), mapped to 2-input NANDs and inverters (abc -g NAND) and D flip-flops.
// Counting rules (chips/area/README.md): NAND2-eq = NAND + 0.5 NOT + 6 DFF; transistors =
// 4 per NAND2-eq (+ rom_transistors_per_bit per mask-ROM bit in the ROM style).
// Fidelity: a gate-count estimate, not a layout: no wires, no placement density, no SRAM
// compiler, no clock tree, no I/O; the slices are extrapolated linearly in the weight count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chips/expert_engine.h"

namespace moefab::chips::area {

/// A model to extrapolate to: `experts` expert engines of one shape.
struct ModelSpec {
  std::string name;           // e.g. "gpt-oss-120b"
  std::uint64_t experts = 0;  // layers x experts per layer (one engine each)
  ExpertShape shape;          // every expert's D x I
};

struct AreaOptions {
  /// Three slice shapes (D x I) synthesized per design point. Gates are fitted exactly as
  /// fixed + per weight x 3DI + per element x (D + I): the third slice has the weights of the
  /// large one and another D + I, so weight growth and buffer growth separate. 0 x 0: derived
  /// from lanes (small = lanes x 2*lanes, large = 2*lanes x 4*lanes, third = lanes x 8*lanes).
  ExpertShape slice_small{0, 0};
  ExpertShape slice_large{0, 0};
  ExpertShape slice_third{0, 0};
  double yosys_timeout_seconds = 900;    // per yosys run
  unsigned jobs = 2;                     // yosys runs at once
  double rom_transistors_per_bit = 1.0;  // NOR/NAND mask ROM: ~1 transistor per stored bit
  double transistors_per_nand2 = 4.0;    // static CMOS NAND2
  double nand2_per_not = 0.5;            // inverter: 2 transistors
  double nand2_per_dff = 6.0;            // D flip-flop: ~24 transistors
  double transistors_per_mm2 = 1.4e8;    // logic density of a 6 nm class process (see README)
  std::uint64_t weight_seed = 1;         // synthetic weights of the hardwired slices
  std::string work_dir;                  // empty: a temporary folder, removed afterwards
  std::string yosys;                     // empty: the yosys found at configure time
  std::vector<ModelSpec> models;         // models to extrapolate to (may be empty)
};

/// One yosys run: one slice of one design point.
struct SliceArea {
  EngineConfig config;           // the slice (shape = slice shape)
  std::uint64_t weights = 0;     // 3 * D * I
  std::uint64_t cells = 0;       // all cells after mapping (gates, flip-flops, ROM macros)
  std::uint64_t nand = 0;        // $_NAND_
  std::uint64_t inverters = 0;   // $_NOT_
  std::uint64_t flip_flops = 0;  // $_DFF_P_
  std::uint64_t rom_macros = 0;  // unmapped ROM memories (ROM style)
  std::uint64_t rom_bits = 0;    // mask-ROM bits (ROM style; 0 when hardwired)
  double nand2_eq = 0;           // nand + nand2_per_not * inverters + nand2_per_dff * flip_flops
  double logic_transistors = 0;  // transistors_per_nand2 * nand2_eq
  double rom_transistors = 0;    // rom_transistors_per_bit * rom_bits
  double transistors = 0;        // logic + rom
  double yosys_seconds = 0;      // wall time of the run
  std::uint64_t yosys_peak_rss_bytes = 0;
  [[nodiscard]] double cells_per_weight() const { return double(cells) / double(weights); }
  [[nodiscard]] double transistors_per_weight() const { return transistors / double(weights); }
};

/// One design point (style x datapath) at the config's format and lanes.
struct AreaPoint {
  WeightStyle style = WeightStyle::kRom;
  Datapath datapath = Datapath::kMac;
  SliceArea small, large, third;  // the three slices
  // Fits. Gates (NAND, NOT) = fixed + per weight x W (W = 3*D*I; hardwired: the constant ROMs
  // decoded in logic) + per element x (D + I) (the activation buffers' read muxes), solved
  // exactly from the three slices; a negative growth (small-slice noise) is taken as 0 and
  // the rest fitted through the large slice;
  // flip-flops grow with D + I (activation buffers, counters), fitted on small and large.
  double fixed_logic_transistors = 0;       // gates independent of W and D + I (datapath, requant)
  double logic_transistors_per_weight = 0;  // marginal gates per weight
  double logic_transistors_per_dim = 0;     // marginal gates per element of D + I
  double fixed_ff_transistors = 0;          // flip-flops independent of D + I
  double ff_transistors_per_dim = 0;        // marginal flip-flops per element of D + I
  /// Transistors of one engine of `full.shape`: the two fits + mask-ROM bits (ROM style).
  [[nodiscard]] double EngineTransistors(const EngineConfig& full, double rom_t_per_bit) const;
};

struct ModelArea {
  ModelSpec model;
  WeightStyle style = WeightStyle::kRom;
  Datapath datapath = Datapath::kMac;
  double transistors = 0;             // experts x engine transistors
  double transistors_per_weight = 0;  // over the model's expert weights
  double die_mm2 = 0;                 // transistors / density
};

struct AreaReport {
  EngineConfig config;            // format and lanes of every point
  AreaOptions options;            // the assumptions used
  std::vector<AreaPoint> points;  // rom-{mac,psel,blib}, hardwired-{mac,psel,blib} (blib: lanes 4, 8)
  std::vector<ModelArea> models;  // per model x point
  double wall_seconds = 0;
};

/// Synthesizes the design points (three slices each) of `config`'s format and lanes.
/// ConfigError: bad config, yosys missing, failing or timing out (names the design point, the
/// log and its tail).
AreaReport EstimateArea(const EngineConfig& config, const AreaOptions& options);

/// Synthesizes one slice (exposed for tests and quick looks).
SliceArea SynthesizeSlice(const EngineConfig& slice, const AreaOptions& options);

/// Mask-ROM bits of one ROM-style engine (weights, MXFP4 shifts, channel words, LUT, scalars).
std::uint64_t RomBits(const EngineConfig& config);

/// The report as a table, with the HC1 reference (53e9 transistors for 8e9 weights, 815 mm^2).
std::string FormatAreaReport(const AreaReport& r);

}  // namespace moefab::chips::area
