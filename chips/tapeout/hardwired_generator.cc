#include "chips/tapeout/hardwired_generator.h"

#include <algorithm>
#include <sstream>

#include "chips/numerics/block_library.h"
#include "core/error.h"

namespace moefab::chips::tapeout {
namespace {

std::uint32_t Ceil(std::uint32_t a, std::uint32_t b) {
  return (a + b - 1) / b;
}

// Engine localparams (expert_engine.sv) computed in C++.
struct Geometry {
  bool mx = false;
  std::uint32_t wb = 4, dg = 0, ig = 0, gw = 0, ngu = 0, ndn = 0, segl = 0, nseg = 0, sw = 0;
  std::uint32_t ww = 0, lw = 0;  // weight ROM word (block library: index word), library entry
  explicit Geometry(const RtlParams& p) {
    mx = p.format == WeightFormat::kMxfp4;
    wb = p.format == WeightFormat::kInt3 ? 3 : 4;
    dg = Ceil(p.d_model, p.lanes);
    ig = Ceil(p.width, p.lanes);
    gw = p.lanes * wb;
    ngu = p.width * dg;
    ndn = p.d_model * ig;
    segl = (mx && p.lanes > 32) ? 32 : p.lanes;
    nseg = p.lanes / segl;
    sw = 5 * nseg;
    const BlockWordLayout bl = RtlBlockLayout(p.format);
    ww = p.datapath == 2 ? (p.lanes / kRtlBlock) * bl.block_bits : gw;
    lw = kRtlBlock * wb;
  }
};

RomArray NewArray(std::string name, std::string sv_width, std::string sv_depth, std::uint32_t bits,
                  std::uint32_t words) {
  RomArray a;
  a.name = std::move(name);
  a.sv_width = std::move(sv_width);
  a.sv_depth = std::move(sv_depth);
  a.word_bits = bits;
  a.limbs = Ceil(bits, 64);
  a.data.assign(std::size_t{words} * a.limbs, 0);
  return a;
}

void PutBits(RomArray& a, std::size_t word, std::uint32_t bit, std::uint32_t nbits, std::uint64_t v) {
  for (std::uint32_t k = 0; k < nbits; ++k) {
    if (((v >> k) & 1u) == 0) continue;
    const std::uint32_t b = bit + k;
    a.data[word * a.limbs + b / 64] |= std::uint64_t{1} << (b % 64);
  }
}

// Weight words: row r, group k at address r * groups + k; lane l at [WB*l +: WB].
RomArray PackWeights(const char* name, const QuantMatrix& m, const RtlParams& p, const Geometry& g) {
  const std::uint32_t groups = Ceil(m.cols, p.lanes);
  RomArray a = NewArray(name, "WW", "", g.ww, m.rows * groups);
  const std::uint64_t mask = (1u << g.wb) - 1;
  for (std::uint32_t r = 0; r < m.rows; ++r) {
    for (std::uint32_t k = 0; k < groups; ++k) {
      for (std::uint32_t l = 0; l < p.lanes; ++l) {
        const std::uint32_t c = k * p.lanes + l;
        if (c >= m.cols) break;
        const auto q = static_cast<std::uint64_t>(m.q[std::size_t{r} * m.cols + c]);
        PutBits(a, std::size_t{r} * groups + k, g.wb * l, g.wb, q & mask);
      }
    }
  }
  return a;
}

// Block-library datapath: the index words in place of the weight words (same addresses).
RomArray PackIndexWords(const char* name, const std::vector<std::uint64_t>& words, const Geometry& g) {
  RomArray a = NewArray(name, "WW", "", g.ww, static_cast<std::uint32_t>(words.size()));
  for (std::size_t k = 0; k < words.size(); ++k) PutBits(a, k, 0, g.ww, words[k]);
  return a;
}

// MXFP4 alignment shifts at the weight word's address: min(Emax_r - E[r][b], 24), 5 bits per
// block segment (LANES >= 32) or the word's block at [4:0] (LANES < 32).
RomArray PackShifts(const char* name, const QuantMatrix& m, const RtlParams& p, const Geometry& g) {
  if (!g.mx) return NewArray(name, "SW", "", g.sw, 1);
  const std::uint32_t groups = Ceil(m.cols, p.lanes);
  const std::uint32_t blocks = Ceil(m.cols, kMxBlock);
  RomArray a = NewArray(name, "SW", "", g.sw, m.rows * groups);
  for (std::uint32_t r = 0; r < m.rows; ++r) {
    const std::uint8_t* e = &m.block_exp[std::size_t{r} * blocks];
    const std::uint8_t emax = *std::max_element(e, e + blocks);
    for (std::uint32_t k = 0; k < groups; ++k) {
      for (std::uint32_t s = 0; s < g.nseg; ++s) {
        const std::uint32_t b = (k * p.lanes) / kMxBlock + s;
        const std::uint32_t shift = b < blocks ? std::min<std::uint32_t>(emax - e[b], 24) : 24;
        PutBits(a, std::size_t{r} * groups + k, 5 * s, 5, shift);
      }
    }
  }
  return a;
}

// Channel words: [23:0] mult, [29:24] shift, [63:32] bias.
RomArray PackChannels(const char* name, const char* depth, const QuantMatrix& m) {
  RomArray a = NewArray(name, "64", depth, 64, m.rows);
  for (std::uint32_t r = 0; r < m.rows; ++r) {
    const std::uint64_t bias = m.bias.empty() ? 0 : static_cast<std::uint32_t>(m.bias[r]);
    a.data[r] = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(m.mult[r])) & 0xFFFFFFu) |
                (std::uint64_t{m.shift[r] & 0x3Fu} << 24) | (bias << 32);
  }
  return a;
}

void AppendHex(std::string& out, const RomArray& a, std::size_t word) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += std::to_string(a.word_bits);
  out += "'h";
  const std::uint32_t digits = Ceil(a.word_bits, 4);
  bool leading = true;
  for (std::uint32_t d = digits; d-- > 0;) {
    const std::uint64_t limb = a.data[word * a.limbs + (d * 4) / 64];
    const unsigned nib = static_cast<unsigned>((limb >> ((d * 4) % 64)) & 0xFu);
    if (leading && nib == 0 && d != 0) continue;
    leading = false;
    out += kHex[nib];
  }
}

}  // namespace

std::string ToString(const RtlParams& p) {
  std::ostringstream os;
  os << p.d_model << "x" << p.width << "x" << p.lanes << "-" << WeightFormatName(p.format) << "-"
     << (p.datapath == 0 ? "mac" : (p.datapath == 1 ? "psel" : "blib"));
  return os.str();
}

std::vector<std::pair<std::string, std::string>> VerilogParams(const RtlParams& p) {
  return {{"D", std::to_string(p.d_model)},
          {"I", std::to_string(p.width)},
          {"LANES", std::to_string(p.lanes)},
          {"FORMAT", std::to_string(static_cast<unsigned>(p.format))},
          {"DATAPATH", std::to_string(p.datapath)}};
}

std::uint64_t RomImage::TotalBits() const {
  std::uint64_t bits = 0;
  for (const RomArray& a : arrays) {
    // Unused MXFP4 shift ROMs of the integer formats are a single dummy word: not stored.
    if (a.sv_width == "SW" && params.format != WeightFormat::kMxfp4) continue;
    if (a.sv_width == "LW" && params.datapath != 2) continue;  // the unused library word
    bits += std::uint64_t{a.word_bits} * a.words();
  }
  for (const RomScalar& s : scalars) bits += s.bits;
  return bits;
}

RomImage BuildRomImage(const ExpertWeights& w, const RtlParams& p) {
  MOEFAB_CHECK(w.shape.d_model == p.d_model && w.shape.width == p.width && w.format == p.format && p.lanes > 0,
               "BuildRomImage: weights " << w.shape.d_model << "x" << w.shape.width << " " << WeightFormatName(w.format)
                                         << " vs build " << ToString(p));
  const Geometry g(p);
  RomImage img;
  img.params = p;
  auto add = [&](RomArray a, const char* depth) {
    a.sv_depth = depth;
    img.arrays.push_back(std::move(a));
  };
  if (p.datapath == 2) {
    // The library (only the entries the weights use; the rest of the NLIB words stay 0) and
    // the permutation wiring as index words.
    const BlockLibraryImage lib = BuildBlockLibraryImage(w, p.lanes);
    add(PackIndexWords("wg_rom", lib.gate, g), "NGU");
    add(PackIndexWords("wu_rom", lib.up, g), "NGU");
    add(PackIndexWords("wd_rom", lib.down, g), "NDN");
    RomArray entries = NewArray("lib_rom", "LW", "NLIB", g.lw,
                                static_cast<std::uint32_t>(BlockLibraryBound(p.format, kRtlBlock)));
    for (std::size_t e = 0; e < lib.entries.size(); ++e) entries.data[e] = lib.entries[e];
    img.arrays.push_back(std::move(entries));
  } else {
    add(PackWeights("wg_rom", w.gate, p, g), "NGU");
    add(PackWeights("wu_rom", w.up, p, g), "NGU");
    add(PackWeights("wd_rom", w.down, p, g), "NDN");
    img.arrays.push_back(NewArray("lib_rom", "LW", "NLIB", g.lw, 1));  // unused
  }
  add(PackShifts("xg_rom", w.gate, p, g), "NXG");
  add(PackShifts("xu_rom", w.up, p, g), "NXG");
  add(PackShifts("xd_rom", w.down, p, g), "NXD");
  img.arrays.push_back(PackChannels("cg_rom", "I", w.gate));
  img.arrays.push_back(PackChannels("cu_rom", "I", w.up));
  img.arrays.push_back(PackChannels("cd_rom", "D", w.down));
  RomArray act = NewArray("act_rom", "8", "256", 8, 256);
  for (std::uint32_t b = 0; b < 256; ++b) act.data[b] = static_cast<std::uint8_t>(w.act_lut[b]);
  img.arrays.push_back(std::move(act));
  img.scalars = {
      {"u_clamp", 9, static_cast<std::uint64_t>(w.u_clamp) & 0x1FFu},
      {"u_offset", 9, static_cast<std::uint64_t>(w.u_offset) & 0x1FFu},
      {"mult_p", 24, static_cast<std::uint64_t>(w.mult_prod) & 0xFFFFFFu},
      {"shift_p", 6, std::uint64_t{w.shift_prod} & 0x3Fu},
  };
  return img;
}

std::string EmitHardwiredEngine(const std::string& engine_sv, const RomImage& image, SvDialect dialect,
                                const std::string& banner) {
  // Locate the ROM block: whole lines from the begin marker's line to the end marker's line
  // (exclusive), or between the two section rules of the current engine.
  auto line_start = [&](std::size_t pos) {
    const std::size_t nl = engine_sv.rfind('\n', pos);
    return nl == std::string::npos ? 0 : nl + 1;
  };
  std::size_t begin = engine_sv.find(kRomBeginMarker);
  std::size_t end = engine_sv.find(kRomEndMarker);
  bool inclusive_end = true;
  if (begin == std::string::npos || end == std::string::npos) {
    begin = engine_sv.find("ROMs (loaded once)");
    end = engine_sv.find("arithmetic helpers");
    inclusive_end = false;
  }
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    throw ConfigError(std::string("chips/rtl/expert_engine.sv: no ROM block found (expected lines "
                                  "with '") +
                      kRomBeginMarker + "' and '" + kRomEndMarker +
                      "'); the hardwired generator cannot replace the ROMs");
  }
  begin = line_start(begin);
  if (inclusive_end) {
    const std::size_t nl = engine_sv.find('\n', end);
    end = nl == std::string::npos ? engine_sv.size() : nl + 1;
  } else {
    end = line_start(end);
  }

  std::string rom;
  rom.reserve(64 + image.TotalBits() / 3);
  rom += "  // ---------------------------------------------------------------- ROMs (hardwired)\n";
  rom +=
      "  // Generated by " + std::string(kGeneratorVersion) + " for " + ToString(image.params) + ": " + banner + "\n";
  for (const RomScalar& s : image.scalars) {
    rom +=
        "  localparam logic [" + std::to_string(s.bits - 1) + ":0] " + s.name + " = " + std::to_string(s.bits) + "'h";
    std::ostringstream hex;
    hex << std::hex << s.value;
    rom += hex.str() + ";\n";
  }
  for (const RomArray& a : image.arrays) {
    const std::string decl = "logic [" + a.sv_width + "-1:0] " + a.name + "[0:" + a.sv_depth + "-1]";
    if (dialect == SvDialect::kVerilator) {
      rom += "  localparam " + decl + " = '{\n";
      for (std::size_t k = 0; k < a.words(); ++k) {
        rom += (k % 8 == 0) ? "    " : " ";
        AppendHex(rom, a, k);
        if (k + 1 < a.words()) rom += ',';
        if (k % 8 == 7 || k + 1 == a.words()) rom += '\n';
      }
      rom += "  };\n";
    } else {
      rom += "  " + decl + ";\n  initial begin\n";
      for (std::size_t k = 0; k < a.words(); ++k) {
        rom += "    " + a.name + "[" + std::to_string(k) + "] = ";
        AppendHex(rom, a, k);
        rom += ";\n";
      }
      rom += "  end\n";
    }
  }
  rom += "\n";
  std::string out = "// GENERATED by moefab chips/tapeout (" + std::string(kGeneratorVersion) +
                    "): the hardwired variant of chips/rtl/expert_engine.sv. Do not edit.\n";
  out += "// " + banner + "\n";
  out += engine_sv.substr(0, begin);
  out += rom;
  out += engine_sv.substr(end);
  return out;
}

void CheckHardwiredSize(const ExpertShape& s, std::uint64_t max_weights, const std::string& what) {
  const std::uint64_t n = ExpertWeightCount(s);
  if (max_weights != 0 && n > max_weights) {
    std::ostringstream os;
    os << what << ": expert shape d_model=" << s.d_model << " width=" << s.width << " has " << n
       << " weights (3*D*I), above the hardwired build limit of " << max_weights
       << " weights (BuildOptions::max_hardwired_weights; Verilating and compiling the "
          "constants of a larger expert takes too long or too much memory on one host); "
          "use weight_style: ROM for this shape (one build serves every expert of the shape)";
    throw ConfigError(os.str());
  }
}

}  // namespace moefab::chips::tapeout
