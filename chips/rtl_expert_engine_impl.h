// Internal: the adapter that drives one Verilated build of chips/rtl/expert_engine.sv.
// Models: the chip-side driver of the engine: reset, ROM loading through the load port, then
// per job the x input stream, the clock, and the y output stream, counting cycles from the
// first input beat to the last output beat. Included only by the generated per-build .cc
// files (they are compiled without our warning flags, like Verilator's own output).
// Omits: tracing (no VCD), multi-threaded Verilator models.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "chips/expert_engine.h"
#include "chips/golden_expert.h"
#include "runtime/core/error.h"
#include "verilated.h"

namespace moefab::chips::internal {

/// Writes `words` (32-bit little-endian words) into a Verilated port of any width.
template <typename Port>
void SetPort(Port& port, std::span<const std::uint32_t> words) {
  if constexpr (std::is_integral_v<Port>) {
    std::uint64_t v = words.empty() ? 0 : words[0];
    if (words.size() > 1) v |= std::uint64_t{words[1]} << 32;
    port = static_cast<Port>(v);
  } else {  // VlWide<N>
    constexpr std::size_t kWords = sizeof(Port) / sizeof(EData);
    for (std::size_t k = 0; k < kWords; ++k) port.at(k) = k < words.size() ? words[k] : 0u;
  }
}

/// Reads a Verilated port of any width into `words`.
template <typename Port>
void GetPort(const Port& port, std::span<std::uint32_t> words) {
  if constexpr (std::is_integral_v<Port>) {
    const std::uint64_t v = port;
    if (!words.empty()) words[0] = static_cast<std::uint32_t>(v);
    if (words.size() > 1) words[1] = static_cast<std::uint32_t>(v >> 32);
  } else {
    constexpr std::size_t kWords = sizeof(Port) / sizeof(EData);
    for (std::size_t k = 0; k < words.size(); ++k) words[k] = k < kWords ? port.at(k) : 0u;
  }
}

template <class Model>
class RtlExpertEngine final : public ExpertEngine {
 public:
  /// `w` must already be validated and have this build's shape.
  RtlExpertEngine(std::shared_ptr<const ExpertWeights> w, std::uint32_t lanes)
      : weights_(std::move(w)),
        lanes_(lanes),
        dg_((weights_->shape.d_model + lanes - 1) / lanes),
        job_cycles_(ExpertJobCycles(weights_->shape, lanes)),
        context_(std::make_unique<VerilatedContext>()),
        model_(std::make_unique<Model>(context_.get(), "expert_engine")),
        beat_words_((lanes * 8 + 31) / 32),
        load_words_((std::max(lanes * 4, 32u) + 31) / 32),
        scratch_(std::max(beat_words_, load_words_)) {
    Reset();
    LoadRom();
  }
  ~RtlExpertEngine() override { model_->final(); }
  RtlExpertEngine(const RtlExpertEngine&) = delete;
  RtlExpertEngine& operator=(const RtlExpertEngine&) = delete;

  Cycles Run(std::span<const std::int8_t> x, std::span<std::int8_t> y) override {
    const std::uint32_t d = weights_->shape.d_model;
    MOEFAB_CHECK(x.size() == d && y.size() == d,
                 "RtlExpertEngine: x has " << x.size() << " and y " << y.size()
                                           << " elements, expected d_model=" << d);
    MOEFAB_CHECK(model_->in_ready, "RtlExpertEngine: engine not idle at the start of a job");
    std::uint32_t in_beat = 0;
    std::uint32_t out_beat = 0;
    std::uint64_t cycle = 0;        // cycles since this job's loop started
    std::uint64_t first_in = 0;     // cycle of the first input beat
    std::uint64_t last_out = 0;     // cycle of the last output beat
    const std::uint64_t limit = 2 * job_cycles_.value + 16;  // hang guard
    model_->out_ready = 1;
    while (out_beat < dg_) {
      MOEFAB_CHECK(cycle < limit, "RtlExpertEngine: job did not finish within " << limit
                                                                                << " cycles");
      const bool offer = in_beat < dg_;
      model_->in_valid = offer ? 1 : 0;
      if (offer) PackBytes(x, in_beat);
      model_->clk = 0;
      model_->eval();
      const bool in_fire = offer && model_->in_ready;
      const bool out_fire = model_->out_valid;
      if (out_fire) UnpackBytes(y, out_beat);
      model_->clk = 1;
      model_->eval();
      ++rtl_cycles_;
      if (in_fire) {
        if (in_beat == 0) first_in = cycle;
        ++in_beat;
      }
      if (out_fire) {
        ++out_beat;
        last_out = cycle;
      }
      ++cycle;
    }
    model_->in_valid = 0;
    return Cycles(last_out - first_in + 1);
  }

  const ExpertShape& shape() const override { return weights_->shape; }
  std::uint64_t rtl_cycles_simulated() const override { return rtl_cycles_; }

 private:
  void Cycle() {
    model_->clk = 0;
    model_->eval();
    model_->clk = 1;
    model_->eval();
    ++rtl_cycles_;
  }

  void Reset() {
    model_->rst_n = 0;
    model_->load_en = 0;
    model_->in_valid = 0;
    model_->out_ready = 0;
    Cycle();
    Cycle();
    model_->rst_n = 1;
    Cycle();
  }

  void Load(std::uint32_t sel, std::uint32_t addr) {
    model_->load_en = 1;
    model_->load_sel = static_cast<CData>(sel);
    model_->load_addr = addr;
    SetPort(model_->load_data, std::span<const std::uint32_t>(scratch_.data(), load_words_));
    Cycle();
  }

  void LoadScalar(std::uint32_t sel, std::uint32_t addr, std::uint32_t value) {
    std::fill(scratch_.begin(), scratch_.end(), 0u);
    scratch_[0] = value;
    Load(sel, addr);
  }

  // Loads a [rows][cols] int4 matrix as rows * ceil(cols/lanes) words, zero padded.
  void LoadMatrix(std::uint32_t sel, const std::vector<std::int8_t>& m, std::uint32_t rows,
                  std::uint32_t cols) {
    const std::uint32_t groups = (cols + lanes_ - 1) / lanes_;
    for (std::uint32_t r = 0; r < rows; ++r) {
      for (std::uint32_t k = 0; k < groups; ++k) {
        std::fill(scratch_.begin(), scratch_.end(), 0u);
        for (std::uint32_t l = 0; l < lanes_; ++l) {
          const std::uint32_t c = k * lanes_ + l;
          if (c >= cols) break;
          const auto nibble = static_cast<std::uint32_t>(m[std::size_t{r} * cols + c]) & 0xFu;
          scratch_[l / 8] |= nibble << ((l % 8) * 4);
        }
        Load(sel, r * groups + k);
      }
    }
  }

  void LoadRom() {
    const ExpertWeights& w = *weights_;
    const std::uint32_t d = w.shape.d_model;
    const std::uint32_t i = w.shape.width;
    LoadMatrix(0, w.w_gate, i, d);
    LoadMatrix(1, w.w_up, i, d);
    LoadMatrix(2, w.w_down, d, i);
    for (std::uint32_t r = 0; r < i; ++r) {
      LoadScalar(3, r, static_cast<std::uint32_t>(w.mult_gate[r]));
      LoadScalar(4, r, static_cast<std::uint32_t>(w.mult_up[r]));
    }
    for (std::uint32_t r = 0; r < d; ++r) {
      LoadScalar(5, r, static_cast<std::uint32_t>(w.mult_down[r]));
    }
    for (std::uint32_t b = 0; b < 256; ++b) {
      LoadScalar(6, b, static_cast<std::uint8_t>(w.silu_lut[b]));
    }
    LoadScalar(7, 0, w.shift_gate);
    LoadScalar(7, 1, w.shift_up);
    LoadScalar(7, 2, w.shift_down);
    LoadScalar(7, 3, static_cast<std::uint32_t>(w.mult_prod));
    LoadScalar(7, 4, w.shift_prod);
    model_->load_en = 0;
    Cycle();
  }

  // Puts bytes beat*lanes .. of x on in_data (zero beyond d_model).
  void PackBytes(std::span<const std::int8_t> x, std::uint32_t beat) {
    std::fill(scratch_.begin(), scratch_.end(), 0u);
    for (std::uint32_t l = 0; l < lanes_; ++l) {
      const std::size_t j = std::size_t{beat} * lanes_ + l;
      if (j >= x.size()) break;
      scratch_[l / 4] |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(x[j]))
                         << ((l % 4) * 8);
    }
    SetPort(model_->in_data, std::span<const std::uint32_t>(scratch_.data(), beat_words_));
  }

  void UnpackBytes(std::span<std::int8_t> y, std::uint32_t beat) {
    GetPort(model_->out_data, std::span<std::uint32_t>(scratch_.data(), beat_words_));
    for (std::uint32_t l = 0; l < lanes_; ++l) {
      const std::size_t j = std::size_t{beat} * lanes_ + l;
      if (j >= y.size()) break;
      y[j] = static_cast<std::int8_t>(static_cast<std::uint8_t>(scratch_[l / 4] >> ((l % 4) * 8)));
    }
  }

  std::shared_ptr<const ExpertWeights> weights_;  // the hardwired contents (shared, immutable)
  std::uint32_t lanes_;                           // MAC lanes per matrix
  std::uint32_t dg_;                              // lane groups (beats) per x / y vector
  Cycles job_cycles_;                             // closed-form job cycles (hang guard)
  std::unique_ptr<VerilatedContext> context_;     // this engine's own Verilator context
  std::unique_ptr<Model> model_;                  // the Verilated model (destroyed first)
  std::uint32_t beat_words_;                      // 32-bit words in in_data / out_data
  std::uint32_t load_words_;                      // 32-bit words in load_data
  std::vector<std::uint32_t> scratch_;            // packing buffer (32-bit words)
  std::uint64_t rtl_cycles_ = 0;                  // cycles evaluated so far (all phases)
};

}  // namespace moefab::chips::internal
