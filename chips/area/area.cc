#include "chips/area/area.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "chips/numerics/block_library.h"
#include "chips/numerics/quantize.h"
#include "chips/tapeout/hardwired_generator.h"
#include "chips/tapeout/process.h"
#include "chips/tapeout/tapeout.h"
#include "chips/tapeout/tapeout_config.h"
#include "core/error.h"

namespace moefab::chips::area {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t Ceil(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ConfigError(p.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

tapeout::RtlParams ParamsOf(const EngineConfig& c) {
  return tapeout::RtlParams{c.shape.d_model, c.shape.width, c.lanes, c.format, static_cast<std::uint32_t>(c.datapath)};
}

// A temporary work folder, removed on destruction unless the caller named one.
class WorkDir {
 public:
  explicit WorkDir(const std::string& requested) {
    if (!requested.empty()) {
      path_ = requested;
      fs::create_directories(path_);
      return;
    }
    std::string tmpl = (fs::temp_directory_path() / "moefab-area-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw ConfigError(tmpl + ": cannot create a folder");
    path_ = tmpl;
    owned_ = true;
  }
  ~WorkDir() {
    std::error_code ec;
    if (owned_) fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool owned_ = false;
};

std::string SliceName(const EngineConfig& c) {
  std::string s = c.ToString();
  std::replace(s.begin(), s.end(), ' ', '_');
  return s;
}

SliceArea RunSlice(const EngineConfig& slice, const AreaOptions& o, const fs::path& dir) {
  SliceArea a;
  a.config = slice;
  a.weights = tapeout::ExpertWeightCount(slice.shape);
  const bool hardwired = slice.style == WeightStyle::kHardwired;
  const std::string name = SliceName(slice);
  const fs::path sv = dir / (name + ".sv");
  const fs::path script = dir / (name + ".ys");
  const fs::path stat = dir / (name + ".stat");
  const fs::path log = dir / (name + ".log");
  const std::string engine = ReadText(tapeout::EngineSourcePath());
  {
    std::ofstream out(sv, std::ios::binary);
    if (hardwired) {
      const Activation act = slice.format == WeightFormat::kMxfp4 ? Activation::kSwiGluClamped : Activation::kSwiGlu;
      const ExpertWeights w = MakeSyntheticExpertWeights(slice.shape, slice.format, act, o.weight_seed);
      out << tapeout::EmitHardwiredEngine(engine, tapeout::BuildRomImage(w, ParamsOf(slice)),
                                          tapeout::SvDialect::kYosys, "area slice " + slice.ToString());
    } else {
      out << engine;
    }
  }
  {
    std::ofstream ys(script);
    ys << "read_verilog -sv " << sv.string() << "\n"
       << "chparam";
    for (const auto& [k, v] : tapeout::VerilogParams(ParamsOf(slice))) {
      ys << " -set " << k << " " << v;
    }
    ys << " expert_engine\n"
       << "synth -top expert_engine -flatten -run begin:fine\n"
       // ROM style: the *_rom memories stay as macros (mask ROMs, counted per bit); every
       // other memory (activation buffers; hardwired constant ROMs) becomes flip-flops/logic.
       << (hardwired ? "memory_map\n" : "memory_map t:$mem_v2 n:*_rom %d\n") << "opt -full\ntechmap\nopt -fast\n"
       << "dfflegalize -cell $_DFF_P_ 01\n"
       << "abc -fast -g NAND\nopt_clean\n"
       << "tee -q -o " << stat.string() << " stat\n";
  }
  const std::string yosys = o.yosys.empty() ? tapeout::config::kYosys : o.yosys;
  const tapeout::ProcessResult r =
      tapeout::RunCommands({tapeout::Command{{yosys, "-q", "-l", log.string(), script.string()}, ""}}, 1,
                           o.yosys_timeout_seconds, (dir / (name + ".out")).string());
  a.yosys_seconds = r.wall_seconds;
  a.yosys_peak_rss_bytes = r.peak_rss_bytes;
  if (!r.ok()) {
    std::ostringstream os;
    os << "area: yosys on " << slice.ToString() << " (" << yosys << ") "
       << (r.timed_out ? "timed out after " + std::to_string(int(o.yosys_timeout_seconds)) +
                             " s (AreaOptions::yosys_timeout_seconds; use smaller slices)"
                       : (r.exit_code == 127 ? std::string("could not be started (not installed?)")
                                             : "failed with exit code " + std::to_string(r.exit_code)))
       << "; script " << script.string() << ", log " << log.string() << ":\n"
       << tapeout::LogTail(log.string()) << tapeout::LogTail((dir / (name + ".out")).string());
    throw ConfigError(os.str());
  }
  const std::string text = ReadText(stat);
  const std::regex cells_re(R"(Number of cells:\s+(\d+))");
  const std::regex type_re(R"(^\s+(\$\S+)\s+(\d+)\s*$)");
  std::smatch m;
  if (!std::regex_search(text, m, cells_re)) {
    throw ConfigError("area: no cell count in yosys statistics " + stat.string());
  }
  a.cells = std::stoull(m[1]);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!std::regex_match(line, m, type_re)) continue;
    const std::string type = m[1];
    const std::uint64_t n = std::stoull(m[2]);
    if (type == "$_NAND_")
      a.nand += n;
    else if (type == "$_NOT_")
      a.inverters += n;
    else if (type == "$_DFF_P_")
      a.flip_flops += n;
    else if (type == "$mem_v2" || type == "$mem")
      a.rom_macros += n;
    else {
      throw ConfigError("area: unexpected cell type " + type + " after mapping in " + stat.string());
    }
  }
  a.rom_bits = hardwired ? 0 : RomBits(slice);
  a.nand2_eq = double(a.nand) + o.nand2_per_not * double(a.inverters) + o.nand2_per_dff * double(a.flip_flops);
  a.logic_transistors = o.transistors_per_nand2 * a.nand2_eq;
  a.rom_transistors = o.rom_transistors_per_bit * double(a.rom_bits);
  a.transistors = a.logic_transistors + a.rom_transistors;
  return a;
}

std::string StyleDp(WeightStyle s, Datapath d) {
  return std::string(s == WeightStyle::kRom ? "rom-" : "hardwired-") + DatapathName(d);
}

// Solves the 3x3 system m x = v (Cramer's rule); false when singular.
bool Solve3(const double m[3][3], const double v[3], double x[3]) {
  auto det = [](const double a[3][3]) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double d = det(m);
  if (std::abs(d) < 1e-9) return false;
  for (int c = 0; c < 3; ++c) {
    double t[3][3];
    for (int r = 0; r < 3; ++r)
      for (int k = 0; k < 3; ++k) t[r][k] = k == c ? v[r] : m[r][k];
    x[c] = det(t) / d;
  }
  return true;
}

double Dims(const ExpertShape& s) {
  return double(s.d_model) + double(s.width);
}

}  // namespace

std::uint64_t RomBits(const EngineConfig& c) {
  const std::uint64_t d = c.shape.d_model, i = c.shape.width, l = c.lanes;
  const bool mx = c.format == WeightFormat::kMxfp4;
  const std::uint64_t wb = c.format == WeightFormat::kInt3 ? 3 : 4;
  const std::uint64_t words = 2 * i * Ceil(d, l) + d * Ceil(i, l);
  const std::uint64_t segl = (mx && l > 32) ? 32 : l;
  std::uint64_t bits = words * l * wb;     // weight words
  if (c.datapath == Datapath::kBlockLibrary) {
    // Index words of lanes / 4 blocks instead, and the library (depth: the bound).
    const BlockWordLayout bl = RtlBlockLayout(c.format);
    bits = words * (l / kRtlBlock) * bl.block_bits + BlockLibraryBound(c.format, kRtlBlock) * bl.entry_word_bits;
  }
  if (mx) bits += words * 5 * (l / segl);  // alignment shifts
  bits += 64 * (2 * i + d);                // channel words (mult, shift, bias)
  bits += 256 * 8;                         // activation LUT
  bits += 9 + 9 + 24 + 6;                  // u_clamp, u_offset, mult_p, shift_p
  return bits;
}

double AreaPoint::EngineTransistors(const EngineConfig& full, double rom_t_per_bit) const {
  const double w = double(tapeout::ExpertWeightCount(full.shape));
  const double dims = double(full.shape.d_model) + double(full.shape.width);
  double t = fixed_logic_transistors + logic_transistors_per_weight * w + logic_transistors_per_dim * dims +
             fixed_ff_transistors + ff_transistors_per_dim * dims;
  if (style == WeightStyle::kRom) {
    EngineConfig c = full;
    c.datapath = datapath;
    t += rom_t_per_bit * double(RomBits(c));
  }
  return t;
}

SliceArea SynthesizeSlice(const EngineConfig& slice, const AreaOptions& options) {
  const WorkDir dir(options.work_dir);
  return RunSlice(slice, options, dir.path());
}

AreaReport EstimateArea(const EngineConfig& config, const AreaOptions& options) {
  const auto t0 = Clock::now();
  if (config.lanes == 0) throw ConfigError("area: engine " + config.ToString() + ": lanes=0");
  if (config.format == WeightFormat::kMxfp4 && config.lanes % kMxBlock != 0 && kMxBlock % config.lanes != 0) {
    throw ConfigError("area: engine " + config.ToString() + ": MXFP4 needs lanes dividing 32 or a multiple of 32");
  }
  AreaReport r;
  r.config = config;
  r.options = options;
  ExpertShape small = options.slice_small, large = options.slice_large, third = options.slice_third;
  if (small.d_model == 0 || small.width == 0) small = {config.lanes, 2 * config.lanes};
  if (large.d_model == 0 || large.width == 0) large = {2 * config.lanes, 4 * config.lanes};
  if (third.d_model == 0 || third.width == 0) third = {config.lanes, 8 * config.lanes};
  if (tapeout::ExpertWeightCount(large) <= tapeout::ExpertWeightCount(small) ||
      large.d_model + large.width <= small.d_model + small.width) {
    throw ConfigError("area: slice_large must be larger than slice_small in D*I and in D+I");
  }
  const ExpertShape shapes[3] = {small, large, third};
  double basis[3][3];
  for (int k = 0; k < 3; ++k) {
    basis[k][0] = 1;
    basis[k][1] = double(tapeout::ExpertWeightCount(shapes[k]));
    basis[k][2] = Dims(shapes[k]);
  }
  double probe[3];
  if (!Solve3(basis, basis[0], probe)) {
    throw ConfigError("area: slice_third must not lie on the line of slice_small and slice_large in (3DI, D+I) "
                      "(e.g. the weights of slice_large with another D+I)");
  }
  r.options.slice_small = small;
  r.options.slice_large = large;
  r.options.slice_third = third;

  std::vector<EngineConfig> slices;
  const bool blib = config.lanes == 4 || config.lanes == 8;
  for (WeightStyle s : {WeightStyle::kRom, WeightStyle::kHardwired}) {
    for (Datapath d : {Datapath::kMac, Datapath::kProductSelect, Datapath::kBlockLibrary}) {
      if (d == Datapath::kBlockLibrary && !blib) continue;
      for (ExpertShape shape : shapes) {
        slices.push_back(EngineConfig{shape, config.format, config.lanes, d, s});
      }
    }
  }
  const WorkDir dir(options.work_dir);
  std::vector<SliceArea> results(slices.size());
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::string error;
  auto worker = [&]() {
    for (std::size_t k; (k = next.fetch_add(1)) < slices.size();) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!error.empty()) return;
      }
      try {
        results[k] = RunSlice(slices[k], options, dir.path());
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        if (error.empty()) error = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, options.jobs); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (!error.empty()) throw ConfigError(error);

  for (std::size_t k = 0; k < slices.size(); k += 3) {
    AreaPoint p;
    p.style = slices[k].style;
    p.datapath = slices[k].datapath;
    p.small = results[k];
    p.large = results[k + 1];
    p.third = results[k + 2];
    auto gates = [&](const SliceArea& a) {
      return options.transistors_per_nand2 * (double(a.nand) + options.nand2_per_not * double(a.inverters));
    };
    auto ffs = [&](const SliceArea& a) {
      return options.transistors_per_nand2 * options.nand2_per_dff * double(a.flip_flops);
    };
    auto dims = [](const SliceArea& a) { return double(a.config.shape.d_model) + double(a.config.shape.width); };
    const double g[3] = {gates(p.small), gates(p.large), gates(p.third)};
    double fit[3];
    Solve3(basis, g, fit);  // not singular: checked above
    p.fixed_logic_transistors = fit[0];
    p.logic_transistors_per_weight = fit[1];
    p.logic_transistors_per_dim = fit[2];
    if (fit[1] < 0 || fit[2] < 0) {
      // A negative growth is below the slices' noise (abc is not monotone in the slice size):
      // take it as 0 and fit the rest through the large slice.
      p.logic_transistors_per_weight = std::max(0.0, fit[1]);
      p.logic_transistors_per_dim = std::max(0.0, fit[2]);
      p.fixed_logic_transistors = g[1] - p.logic_transistors_per_weight * basis[1][1] -
                                  p.logic_transistors_per_dim * basis[1][2];
    }
    const double dd = dims(p.large) - dims(p.small);
    p.ff_transistors_per_dim = std::max(0.0, (ffs(p.large) - ffs(p.small)) / dd);
    p.fixed_ff_transistors = std::max(0.0, ffs(p.small) - p.ff_transistors_per_dim * dims(p.small));
    r.points.push_back(p);
  }
  for (const ModelSpec& m : options.models) {
    EngineConfig full = config;
    full.shape = m.shape;
    const double weights = double(m.experts) * double(tapeout::ExpertWeightCount(m.shape));
    for (const AreaPoint& p : r.points) {
      ModelArea a;
      a.model = m;
      a.style = p.style;
      a.datapath = p.datapath;
      a.transistors = double(m.experts) * p.EngineTransistors(full, options.rom_transistors_per_bit);
      a.transistors_per_weight = a.transistors / weights;
      a.die_mm2 = a.transistors / options.transistors_per_mm2;
      r.models.push_back(a);
    }
  }
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

std::string FormatAreaReport(const AreaReport& r) {
  const AreaOptions& o = r.options;
  std::ostringstream os;
  os << std::fixed;
  os << "area of " << WeightFormatName(r.config.format) << " engines, lanes=" << r.config.lanes
     << ": yosys 'synth; abc -fast -g NAND' on slices " << o.slice_small.d_model << "x" << o.slice_small.width
     << " and " << o.slice_large.d_model << "x" << o.slice_large.width << " (D x I), " << std::setprecision(0)
     << r.wall_seconds << " s; third slice " << o.slice_third.d_model << "x" << o.slice_third.width << "\n";
  os << "counting: NAND2-eq = NAND + " << std::setprecision(2) << o.nand2_per_not << " NOT + " << o.nand2_per_dff
     << " DFF; transistors = " << o.transistors_per_nand2 << " x NAND2-eq + " << o.rom_transistors_per_bit
     << " per mask-ROM bit (ROM style); density " << std::setprecision(3) << std::scientific << o.transistors_per_mm2
     << std::fixed << " transistors/mm^2\n";
  os << std::left << std::setw(16) << "point" << std::setw(10) << "slice" << std::right << std::setw(9) << "weights"
     << std::setw(9) << "cells" << std::setw(9) << "NAND" << std::setw(8) << "NOT" << std::setw(7) << "DFF"
     << std::setw(10) << "ROM_bits" << std::setw(11) << "NAND2-eq" << std::setw(12) << "transistors" << std::setw(9)
     << "cell/w" << std::setw(8) << "T/w" << std::setw(8) << "yosys_s"
     << "\n";
  for (const AreaPoint& p : r.points) {
    for (const SliceArea* s : {&p.small, &p.large, &p.third}) {
      std::ostringstream slice;
      slice << s->config.shape.d_model << "x" << s->config.shape.width;
      os << std::left << std::setw(16) << StyleDp(p.style, p.datapath) << std::setw(10) << slice.str() << std::right
         << std::setw(9) << s->weights << std::setw(9) << s->cells << std::setw(9) << s->nand << std::setw(8)
         << s->inverters << std::setw(7) << s->flip_flops << std::setw(10) << s->rom_bits << std::setw(11)
         << std::setprecision(0) << s->nand2_eq << std::setw(12) << s->transistors << std::setw(9)
         << std::setprecision(2) << s->cells_per_weight() << std::setw(8) << std::setprecision(1)
         << s->transistors_per_weight() << std::setw(8) << std::setprecision(0) << s->yosys_seconds << "\n";
    }
  }
  os << "fit per point (engine transistors = gates: fixed + per weight x 3DI + per element x (D+I), exact on "
        "three slices; flip-flops: fixed + per element x (D+I); + mask-ROM bits):\n";
  for (const AreaPoint& p : r.points) {
    os << "  " << std::left << std::setw(16) << StyleDp(p.style, p.datapath) << std::right << "gates "
       << std::setprecision(0) << std::setw(8) << p.fixed_logic_transistors << " T + " << std::setprecision(2)
       << std::setw(6) << p.logic_transistors_per_weight << " T/weight + " << std::setprecision(1) << std::setw(7)
       << p.logic_transistors_per_dim << " T/(D+I); flip-flops " << std::setprecision(0)
       << std::setw(7) << p.fixed_ff_transistors << " T + " << std::setprecision(1) << std::setw(6)
       << p.ff_transistors_per_dim << " T/(D+I)" << (p.style == WeightStyle::kRom ? "; + mask ROM" : "") << "\n";
  }
  if (!r.models.empty()) {
    os << "extrapolation (one engine per expert):\n";
    for (const ModelArea& m : r.models) {
      const double weights = double(m.model.experts) * 3.0 * m.model.shape.d_model * m.model.shape.width;
      os << "  " << std::left << std::setw(14) << m.model.name << std::setw(16) << StyleDp(m.style, m.datapath)
         << std::right << std::scientific << std::setprecision(3) << weights << " weights  " << m.transistors
         << " transistors  " << std::fixed << std::setprecision(2) << std::setw(7) << m.transistors_per_weight
         << " T/weight  " << std::setprecision(0) << std::setw(9) << m.die_mm2 << " mm^2\n";
    }
    os << "  reference: Taalas HC1 (Llama 3.1 8B) ~5.3e10 transistors for ~8e9 weights = ~6.6 "
          "T/weight, 815 mm^2 (TSMC 6 nm, 3/4-bit weights)\n";
  }
  return os.str();
}

}  // namespace moefab::chips::area
