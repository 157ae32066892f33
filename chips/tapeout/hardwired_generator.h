// The hardwired-weights generator: turns one expert's weights into the constant contents of
// every ROM of chips/rtl/expert_engine.sv (gate / up / down weight words, MXFP4 alignment
// shifts, per-channel bias / multiplier / shift words, the activation LUT and the scalars),
// packed exactly as the engine's load port documents, and emits a SystemVerilog variant of the
// engine in which those ROMs are constants (the load port stays, unused). Same ports, same
// cycles, same bits as the ROM style; only where the words come from differs.
// Hook: the ROM block of expert_engine.sv is the text between the lines holding
// kRomBeginMarker and kRomEndMarker (fallback: the "ROMs (loaded once)" and "arithmetic
// helpers" section rules); see chips/tapeout/README.md.
// Omits: mask-ROM layout, any change of microarchitecture (a hardwired expert is still
// time-multiplexed over LANES MACs; the constants are a ROM decoded in logic).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chips/numerics/expert_weights.h"

namespace moefab::chips::tapeout {

/// Bumped whenever the generated text or the packing changes (part of every cache key).
inline constexpr const char* kGeneratorVersion = "moefab-hardwired-gen-2";
inline constexpr const char* kRomBeginMarker = "@moefab-rom-begin";
inline constexpr const char* kRomEndMarker = "@moefab-rom-end";

/// The Verilog parameters of one expert_engine build.
struct RtlParams {
  std::uint32_t d_model = 0;                  // D
  std::uint32_t width = 0;                    // I
  std::uint32_t lanes = 0;                    // LANES
  WeightFormat format = WeightFormat::kInt4;  // FORMAT
  std::uint32_t datapath = 0;                 // DATAPATH: 0 MAC lanes, 1 product-select, 2 block library
  friend bool operator==(const RtlParams&, const RtlParams&) = default;
};
/// "64x128x8-INT4-mac" style tag (file names, messages).
std::string ToString(const RtlParams& p);
/// Verilator / yosys parameter overrides: {"D", "64"}, {"I", "128"}, ...
std::vector<std::pair<std::string, std::string>> VerilogParams(const RtlParams& p);

/// One ROM of the engine with its contents (words of `word_bits`, little-endian 64-bit limbs).
struct RomArray {
  std::string name;                 // the engine's array name, e.g. "wg_rom"
  std::string sv_width;             // declared word width as in the engine, e.g. "GW"
  std::string sv_depth;             // declared depth as in the engine, e.g. "NGU"
  std::uint32_t word_bits = 0;      // numeric width of sv_width
  std::uint32_t limbs = 0;          // ceil(word_bits / 64)
  std::vector<std::uint64_t> data;  // [words][limbs]
  [[nodiscard]] std::size_t words() const { return limbs == 0 ? 0 : data.size() / limbs; }
};

/// One scalar register of the engine (u_clamp, u_offset, mult_p, shift_p).
struct RomScalar {
  std::string name;
  std::uint32_t bits = 0;
  std::uint64_t value = 0;  // two's complement in `bits`
};

/// Every ROM word of one expert slot, in the engine's load-port layout.
struct RomImage {
  RtlParams params;
  std::vector<RomArray> arrays;
  std::vector<RomScalar> scalars;
  /// Stored bits (arrays + scalars), the mask-ROM capacity of the slot.
  [[nodiscard]] std::uint64_t TotalBits() const;
};

/// Packs validated weights whose shape and format match `p` (MOEFAB_CHECK otherwise).
RomImage BuildRomImage(const ExpertWeights& w, const RtlParams& p);

/// How the constants are written. kVerilator: unpacked localparam arrays (Verilator keeps them
/// as constant tables: fast to compile and simulate). kYosys: arrays filled by an `initial`
/// block (yosys 0.23 cannot parse unpacked-array parameters; it turns them into ROMs with
/// constant contents, i.e. logic, at synthesis).
enum class SvDialect : std::uint8_t { kVerilator = 0, kYosys = 1 };

/// The engine source with its ROM block replaced by the constants of `image`. Throws
/// ConfigError when the ROM block markers cannot be found in `engine_sv`.
std::string EmitHardwiredEngine(const std::string& engine_sv, const RomImage& image, SvDialect dialect,
                                const std::string& banner);

/// Number of expert weights (3 * D * I), the figure the size limit applies to.
[[nodiscard]] inline std::uint64_t ExpertWeightCount(const ExpertShape& s) {
  return 3ull * s.d_model * s.width;
}

/// Throws ConfigError when 3*D*I exceeds `max_weights`, naming the shape, the limit and the
/// ROM alternative. `what` names the expert (e.g. "layer 3 expert 7").
void CheckHardwiredSize(const ExpertShape& s, std::uint64_t max_weights, const std::string& what);

}  // namespace moefab::chips::tapeout
