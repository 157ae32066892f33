// An expert slot's engine as the chip model sees it: jobs (x: int8[D] and the per-token exponent
// e) go in at arrival cycles, results (y: int16[D]) come out at completion cycles.
// Two implementations behind one interface:
//  - RTL: the Verilated chips/rtl/expert_engine.sv; bits and cycles from the RTL, cycle by
//    cycle, with the engine's two-stage pipeline overlapping consecutive jobs.
//  - Model: GoldenExpert (chips/numerics) for the bits, a PipelineModel (latency, initiation
//    interval) for the time. MeasurePipeline obtains that model from the RTL; a test proves
//    that RTL and model give the same start and done cycles for any arrival pattern.
// Omits: the chip's ingress queue and egress (the caller), energy and area, clocks (the caller
// turns Cycles into Ticks with its ClockDomain), the hardwired-weight style (kHardwired: built
// later by the RTL generator; the factories here reject it for RTL).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chips/numerics/expert_weights.h"
#include "core/types.h"

namespace moefab {
class StateWriter;  // core/state_archive.h
class StateReader;
}  // namespace moefab

namespace moefab::chips {

/// How the engine multiplies: a multiplier per lane, "multiply by routing" (every input
/// element times every weight value of the format, then a mux per weight position), or a
/// block library (each block of 4 weights is its sorted library entry behind an input
/// permutation; chips/numerics/block_library.h; lanes 4 or 8).
enum class Datapath : std::uint8_t { kMac = 0, kProductSelect = 1, kBlockLibrary = 2 };
/// Where the weights live: ROM arrays loaded through a load port (one build serves any
/// weights of its shape and format), or constants baked into the RTL (later).
enum class WeightStyle : std::uint8_t { kRom = 0, kHardwired = 1 };

const char* DatapathName(Datapath d);        // "mac", "psel", "blib"
const char* WeightStyleName(WeightStyle s);  // "rom", "hardwired"
const char* FormatTag(WeightFormat f);       // "int4", "int3", "mxfp4"

/// One expert engine design point. Each kRom config with an RTL build is one Verilated model.
struct EngineConfig {
  ExpertShape shape;                          // D = d_model, I = width
  WeightFormat format = WeightFormat::kInt4;  // weight format (and ROM layout)
  std::uint32_t lanes = 8;                    // MACs per matrix per cycle, bytes per beat
  Datapath datapath = Datapath::kMac;
  WeightStyle style = WeightStyle::kRom;
  friend bool operator==(const EngineConfig&, const EngineConfig&) = default;
  /// e.g. "64x128x8-int4-mac-rom" (D x I x lanes - format - datapath - style).
  [[nodiscard]] std::string ToString() const;
};

/// Timing of an engine: a job accepted at cycle s has its last output beat at s + latency; the
/// next job is accepted no earlier than s + initiation_interval.
struct PipelineModel {
  Cycles latency;              // acceptance to last output beat
  Cycles initiation_interval;  // minimum spacing of acceptances
  friend bool operator==(const PipelineModel&, const PipelineModel&) = default;
};

/// The pipeline model's acceptance rule for jobs in arrival order: a job starts at its
/// arrival, but not before the previous start plus the initiation interval. Updates
/// `any_started` and `last_start`; returns the job's start cycle.
inline std::uint64_t AdmitJob(const PipelineModel& p, std::uint64_t arrival, bool& any_started,
                              std::uint64_t& last_start) {
  std::uint64_t start = arrival;
  if (any_started) start = std::max(start, last_start + p.initiation_interval.value);
  any_started = true;
  last_start = start;
  return start;
}

/// A finished job. start_cycle: the cycle it was accepted (first x beat); done_cycle: the cycle
/// of its last y beat.
struct CompletedJob {
  std::uint64_t job_id = 0;
  std::uint64_t start_cycle = 0;
  std::uint64_t done_cycle = 0;
  std::vector<std::int16_t> y;  // int16[D]

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(job_id, start_cycle, done_cycle, y);
  }
};

/// One expert slot. Not thread-safe: exactly one thread drives each engine. Idle costs
/// nothing: spans with no job in flight are skipped, not simulated.
/// Timing contract (both implementations): a job arriving at cycle a is accepted at
/// start = max(a, previous start + II) and completes at start + L (PipelineModel).
class ExpertEngine {
 public:
  virtual ~ExpertEngine() = default;
  virtual const EngineConfig& config() const = 0;
  /// Queues a job. Jobs are accepted in submission order; arrival cycles are non-decreasing
  /// and >= now_cycle(); x.size() == d_model; e <= 9 (all checked with MOEFAB_CHECK).
  virtual void Submit(std::uint64_t job_id, std::span<const std::int8_t> x, std::uint8_t e,
                      std::uint64_t arrival_cycle) = 0;
  /// Runs the engine up to and including `cycle`; appends every job whose last output beat is
  /// <= cycle, in completion order. Spans with no job in flight are skipped without
  /// evaluating the model. Afterwards now_cycle() == cycle + 1 (unless already beyond).
  virtual void AdvanceTo(std::uint64_t cycle, std::vector<CompletedJob>& done) = 0;
  /// The first cycle not yet run.
  virtual std::uint64_t now_cycle() const = 0;
  /// Cycles actually evaluated in RTL, including reset and ROM loading (0 for the model).
  virtual std::uint64_t rtl_cycles_simulated() const = 0;
  /// Checkpoints (core/state_archive.h): the jobs in flight and the pipeline's state, for the
  /// model engines. A Verilated engine's state is the simulator's: false, nothing written
  /// (runs with RTL in them take no checkpoints).
  virtual bool SaveState(StateWriter& w) = 0;
  virtual void LoadState(StateReader& r) = 0;
};

/// Verilated RTL engine; weights go into its ROMs through the load port at construction.
/// Throws ConfigError when the weights are null or invalid or do not match the config, and
/// when no Verilated build exists for the config (the message names the config and lists the
/// available builds; builds come from the CMake cache list MOEFAB_RTL_BUILDS).
std::unique_ptr<ExpertEngine> MakeRtlExpertEngine(std::shared_ptr<const ExpertWeights> w, const EngineConfig& config);

/// Model engine: GoldenExpert bits, `pipeline` timing. Throws ConfigError when the weights are
/// null or invalid or do not match the config, or the pipeline has a zero latency or II.
std::unique_ptr<ExpertEngine> MakeModelExpertEngine(std::shared_ptr<const ExpertWeights> w, const EngineConfig& config,
                                                    PipelineModel pipeline);

/// Timing-only engine (full-size models without weights): `pipeline` timing, jobs carry no
/// activation bytes and complete with an empty y. Throws ConfigError on a zero latency or II.
std::unique_ptr<ExpertEngine> MakeTimingExpertEngine(const EngineConfig& config, PipelineModel pipeline);

/// Latency and II of a configuration, measured by running its RTL build (dummy weights): one
/// job alone, then two jobs arriving together. Cached per config (thread-safe). ConfigError
/// when there is no RTL build for the config.
PipelineModel MeasurePipeline(const EngineConfig& config);
/// The same measurement on a given engine that has run no job yet (e.g. an on-demand build).
PipelineModel MeasurePipelineOf(ExpertEngine& fresh_engine);

/// The configurations with a linked Verilated build, in MOEFAB_RTL_BUILDS order.
std::vector<EngineConfig> AvailableRtlBuilds();

/// Closed forms of the RTL's timing, for documentation and a test (the runtime uses
/// MeasurePipeline, never these). DG = ceil(D / lanes), IG = ceil(I / lanes):
///   L = I*DG + D*IG + 4,  II = max(I*DG, D*IG).
/// ConfigError for lanes == 0 or an empty shape.
PipelineModel ClosedFormPipeline(const EngineConfig& config);

}  // namespace moefab::chips
