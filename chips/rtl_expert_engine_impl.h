// Internal: the adapter that drives one Verilated build of chips/rtl/expert_engine.sv.
// Models: the chip-side driver of the engine: reset, ROM loading through the load port, then
// the job streams: x beats in (a job is offered from its arrival cycle until the engine
// accepts it), y beats out, one clock per cycle, only while a job is in flight.
// Included only by the generated per-build .cc files (compiled with the project warnings,
// Verilator's headers as system headers).
// Omits: tracing (no VCD), multi-threaded Verilator models, output back-pressure (the RTL
// never stalls after accepting a job; the chip's egress is modelled by the caller).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "chips/expert_engine.h"
#include "chips/numerics/block_library.h"
#include "core/error.h"
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

/// ORs the low `width` bits of `value` into a little-endian word vector at bit `pos`.
inline void PutBits(std::vector<std::uint32_t>& words, std::uint32_t pos, std::uint32_t width, std::uint64_t value) {
  value &= (width >= 64) ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1);
  for (std::uint32_t b = 0; b < width; b += 32 - (pos + b) % 32) {
    const std::uint32_t at = pos + b;
    words[at / 32] |= static_cast<std::uint32_t>((value >> b) << (at % 32));
  }
}

/// Load port selectors of expert_engine.sv.
enum LoadSel : std::uint32_t {
  kSelGateW = 0,
  kSelUpW = 1,
  kSelDownW = 2,
  kSelGateX = 3,
  kSelUpX = 4,
  kSelDownX = 5,
  kSelGateCh = 6,
  kSelUpCh = 7,
  kSelDownCh = 8,
  kSelAct = 9,
  kSelScalar = 10,
  kSelLibrary = 11,
};

template <class Model>
class RtlExpertEngine final : public ExpertEngine {
 public:
  /// `w` must already be validated and match `config` (MakeRtlExpertEngine checks).
  RtlExpertEngine(std::shared_ptr<const ExpertWeights> w, const EngineConfig& config)
      : weights_(std::move(w)),
        config_(config),
        d_(config.shape.d_model),
        lanes_(config.lanes),
        dg_((config.shape.d_model + config.lanes - 1) / config.lanes),
        guard_cycles_(2 * ClosedFormPipeline(config).latency.value + 16),
        context_(std::make_unique<VerilatedContext>()),
        model_(std::make_unique<Model>(context_.get(), "expert_engine")),
        in_words_((lanes_ * 8 + 31) / 32),
        out_words_((lanes_ * 16 + 31) / 32),
        load_words_((std::max(lanes_ * 4, 64u) + 31) / 32),
        scratch_(std::max({in_words_, out_words_, load_words_})) {
    Reset();
    LoadRom();
  }
  ~RtlExpertEngine() override { model_->final(); }
  RtlExpertEngine(const RtlExpertEngine&) = delete;
  RtlExpertEngine& operator=(const RtlExpertEngine&) = delete;

  const EngineConfig& config() const override { return config_; }
  std::uint64_t now_cycle() const override { return now_; }
  std::uint64_t rtl_cycles_simulated() const override { return rtl_cycles_; }
  // A Verilated engine's state is the simulator's: no checkpoints (ExpertEngine).
  bool SaveState(StateWriter&) override { return false; }
  void LoadState(StateReader&) override { MOEFAB_CHECK(false, "checkpoint of a Verilated engine"); }

  void Submit(std::uint64_t job_id, std::span<const std::int8_t> x, std::uint8_t e,
              std::uint64_t arrival_cycle) override {
    MOEFAB_CHECK(x.size() == d_, "RtlExpertEngine " << config_.ToString() << ": job " << job_id << " x has " << x.size()
                                                    << " elements, expected " << d_);
    MOEFAB_CHECK(e <= kMaxDispatchExponent, "RtlExpertEngine: job " << job_id << " e=" << int{e} << " is above 9");
    MOEFAB_CHECK(arrival_cycle >= now_ && arrival_cycle >= last_arrival_,
                 "RtlExpertEngine: job " << job_id << " arrives at " << arrival_cycle << ", before now=" << now_
                                         << " or the previous arrival " << last_arrival_);
    last_arrival_ = arrival_cycle;
    pending_.push_back(Job{job_id, arrival_cycle, 0, e, {x.begin(), x.end()}, {}, 0});
  }

  void AdvanceTo(std::uint64_t cycle, std::vector<CompletedJob>& done) override {
    while (now_ <= cycle) {
      if (inflight_.empty()) {  // nothing in the engine: skip to the next arrival
        if (pending_.empty()) {
          now_ = cycle + 1;
          break;
        }
        if (pending_.front().arrival > now_) {
          now_ = std::min(pending_.front().arrival, cycle + 1);
          continue;
        }
      }
      Step(done);
    }
  }

 private:
  struct Job {
    std::uint64_t id;             // caller's job id
    std::uint64_t arrival;        // cycle from which the job is offered
    std::uint64_t start;          // cycle its first beat was accepted
    std::uint8_t e;               // per-token exponent
    std::vector<std::int8_t> x;   // input (released once fed)
    std::vector<std::int16_t> y;  // output beats received so far
    std::uint32_t beats;          // input beats fed (while feeding), then output beats received
  };

  // One clock cycle `now_`: offer input, take output, clock edge.
  void Step(std::vector<CompletedJob>& done) {
    // in_ready and out_valid / out_data are registered: valid for this cycle since the last
    // edge, independent of this cycle's inputs.
    const bool ready = model_->in_ready != 0;
    Job* offer = nullptr;
    if (feeding_) {
      offer = &inflight_.back();
    } else if (!pending_.empty() && pending_.front().arrival <= now_) {
      offer = &pending_.front();
    }
    if (offer) {
      PackBeat(offer->x, offer->beats);
      model_->in_e = offer->e;
    }
    model_->in_valid = offer ? 1 : 0;
    if (model_->out_valid) TakeBeat(done);
    if (offer && ready) {
      if (!feeding_) {
        offer->start = now_;
        inflight_.push_back(std::move(pending_.front()));
        pending_.pop_front();
        offer = &inflight_.back();
        offer->y.assign(d_, 0);
        feeding_ = true;
      }
      if (++offer->beats == dg_) {
        feeding_ = false;
        offer->beats = 0;
        offer->x = {};
      }
    }
    Clock();
    ++now_;
    MOEFAB_CHECK(inflight_.empty() || now_ <= inflight_.front().start + guard_cycles_,
                 "RtlExpertEngine " << config_.ToString() << ": job " << inflight_.front().id << " started at "
                                    << inflight_.front().start << " has not finished by " << now_);
  }

  void TakeBeat(std::vector<CompletedJob>& done) {
    MOEFAB_CHECK(
        !inflight_.empty() && !(feeding_ && inflight_.size() == 1),
        "RtlExpertEngine " << config_.ToString() << ": output beat at cycle " << now_ << " with no job in flight");
    Job& j = inflight_.front();
    GetPort(model_->out_data, std::span<std::uint32_t>(scratch_.data(), out_words_));
    const std::size_t base = std::size_t{j.beats} * lanes_;
    for (std::uint32_t l = 0; l < lanes_ && base + l < d_; ++l) {
      j.y[base + l] = static_cast<std::int16_t>(static_cast<std::uint16_t>(scratch_[l / 2] >> ((l % 2) * 16)));
    }
    if (++j.beats == dg_) {
      done.push_back(CompletedJob{j.id, j.start, now_, std::move(j.y)});
      inflight_.pop_front();
    }
  }

  void Clock() {
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
    Clock();
    Clock();
    model_->rst_n = 1;
    Clock();
  }

  void Load(std::uint32_t sel, std::uint32_t addr) {
    model_->load_en = 1;
    model_->load_sel = static_cast<CData>(sel);
    model_->load_addr = addr;
    SetPort(model_->load_data, std::span<const std::uint32_t>(scratch_.data(), load_words_));
    Clock();
  }

  void LoadValue(std::uint32_t sel, std::uint32_t addr, std::uint64_t value) {
    std::fill(scratch_.begin(), scratch_.end(), 0u);
    scratch_[0] = static_cast<std::uint32_t>(value);
    scratch_[1] = static_cast<std::uint32_t>(value >> 32);
    Load(sel, addr);
  }

  // Weight words (and MXFP4 alignment-shift words) of one [rows][cols] matrix; with the block
  // library datapath the weight words are `index_words` (BlockLibraryImage).
  void LoadMatrix(const QuantMatrix& m, std::uint32_t sel_w, std::uint32_t sel_x,
                  const std::vector<std::uint64_t>* index_words) {
    const bool mx = config_.format == WeightFormat::kMxfp4;
    const std::uint32_t wb = config_.format == WeightFormat::kInt3 ? 3 : 4;
    const std::uint32_t groups = (m.cols + lanes_ - 1) / lanes_;
    const std::uint32_t nb = (m.cols + kMxBlock - 1) / kMxBlock;
    for (std::uint32_t r = 0; r < m.rows; ++r) {
      const std::int8_t* q = m.q.data() + std::size_t{r} * m.cols;
      const std::uint8_t* ex = mx ? m.block_exp.data() + std::size_t{r} * nb : nullptr;
      const int e_max = mx ? *std::max_element(ex, ex + nb) : 0;
      // min(Emax_r - E[r][b], 24); 24 (contributes 0) for padding blocks past the row.
      auto align = [&](std::uint32_t b) -> std::uint64_t {
        return b < nb ? static_cast<std::uint64_t>(std::min(e_max - ex[b], 24)) : 24u;
      };
      for (std::uint32_t k = 0; k < groups; ++k) {
        const std::uint32_t addr = r * groups + k;
        std::fill(scratch_.begin(), scratch_.end(), 0u);
        for (std::uint32_t l = 0; l < lanes_; ++l) {
          const std::uint32_t c = k * lanes_ + l;
          if (c >= m.cols) break;
          PutBits(scratch_, l * wb, wb, static_cast<std::uint8_t>(q[c]));
        }
        if (index_words != nullptr) {
          std::fill(scratch_.begin(), scratch_.end(), 0u);
          PutBits(scratch_, 0, 64, (*index_words)[addr]);
        }
        Load(sel_w, addr);
        if (!mx) continue;
        std::fill(scratch_.begin(), scratch_.end(), 0u);
        if (lanes_ >= kMxBlock) {
          for (std::uint32_t s = 0; s < lanes_ / kMxBlock; ++s) {
            PutBits(scratch_, 5 * s, 5, align(k * (lanes_ / kMxBlock) + s));
          }
        } else {
          PutBits(scratch_, 0, 5, align(k * lanes_ / kMxBlock));
        }
        Load(sel_x, addr);
      }
    }
  }

  void LoadChannels(const QuantMatrix& m, std::uint32_t sel) {
    for (std::uint32_t r = 0; r < m.rows; ++r) {
      const std::uint32_t bias = m.bias.empty() ? 0u : static_cast<std::uint32_t>(m.bias[r]);
      const std::uint64_t word = (static_cast<std::uint64_t>(m.mult[r]) & 0xFFFFFFu) |
                                 (std::uint64_t{m.shift[r] & 0x3Fu} << 24) | (std::uint64_t{bias} << 32);
      LoadValue(sel, r, word);
    }
  }

  void LoadRom() {
    const ExpertWeights& w = *weights_;
    if (config_.datapath == Datapath::kBlockLibrary) {
      const BlockLibraryImage lib = BuildBlockLibraryImage(w, lanes_);
      for (std::uint32_t e = 0; e < lib.entries.size(); ++e) LoadValue(kSelLibrary, e, lib.entries[e]);
      LoadMatrix(w.gate, kSelGateW, kSelGateX, &lib.gate);
      LoadMatrix(w.up, kSelUpW, kSelUpX, &lib.up);
      LoadMatrix(w.down, kSelDownW, kSelDownX, &lib.down);
    } else {
      LoadMatrix(w.gate, kSelGateW, kSelGateX, nullptr);
      LoadMatrix(w.up, kSelUpW, kSelUpX, nullptr);
      LoadMatrix(w.down, kSelDownW, kSelDownX, nullptr);
    }
    LoadChannels(w.gate, kSelGateCh);
    LoadChannels(w.up, kSelUpCh);
    LoadChannels(w.down, kSelDownCh);
    for (std::uint32_t b = 0; b < 256; ++b) {
      LoadValue(kSelAct, b, static_cast<std::uint8_t>(w.act_lut[b]));
    }
    LoadValue(kSelScalar, 0, static_cast<std::uint32_t>(w.u_clamp) & 0x1FFu);
    LoadValue(kSelScalar, 1, static_cast<std::uint32_t>(w.u_offset) & 0x1FFu);
    LoadValue(kSelScalar, 2, static_cast<std::uint32_t>(w.mult_prod) & 0xFFFFFFu);
    LoadValue(kSelScalar, 3, w.shift_prod & 0x3Fu);
    model_->load_en = 0;
    Clock();
  }

  // Puts bytes beat*lanes .. of x on in_data (zero beyond d_model).
  void PackBeat(const std::vector<std::int8_t>& x, std::uint32_t beat) {
    std::fill(scratch_.begin(), scratch_.begin() + in_words_, 0u);
    const std::size_t base = std::size_t{beat} * lanes_;
    for (std::uint32_t l = 0; l < lanes_ && base + l < x.size(); ++l) {
      scratch_[l / 4] |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(x[base + l])) << ((l % 4) * 8);
    }
    SetPort(model_->in_data, std::span<const std::uint32_t>(scratch_.data(), in_words_));
  }

  std::shared_ptr<const ExpertWeights> weights_;  // the ROM contents (shared, immutable)
  EngineConfig config_;                           // this build's design point
  std::uint32_t d_;                               // d_model (elements)
  std::uint32_t lanes_;                           // lanes (bytes per x beat)
  std::uint32_t dg_;                              // beats per x / y vector
  std::uint64_t guard_cycles_;                    // hang guard: max cycles start -> done
  std::unique_ptr<VerilatedContext> context_;     // this engine's own Verilator context
  std::unique_ptr<Model> model_;                  // the Verilated model (destroyed first)
  std::uint32_t in_words_;                        // 32-bit words in in_data
  std::uint32_t out_words_;                       // 32-bit words in out_data
  std::uint32_t load_words_;                      // 32-bit words in load_data
  std::vector<std::uint32_t> scratch_;            // packing buffer (32-bit words)
  std::deque<Job> pending_;                       // submitted, not yet accepted
  std::deque<Job> inflight_;                      // accepted, not finished (oldest first)
  bool feeding_ = false;                          // inflight_.back()'s x beats are streaming
  std::uint64_t now_ = 0;                         // first cycle not yet run
  std::uint64_t last_arrival_ = 0;                // arrival of the last submitted job
  std::uint64_t rtl_cycles_ = 0;                  // cycles evaluated (reset, load, jobs)
};

}  // namespace moefab::chips::internal
