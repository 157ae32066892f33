#include "chips/expert_engine.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "chips/numerics/golden_expert.h"
#include "chips/rtl_registry.h"
#include "core/error.h"
#include "core/state_archive.h"

namespace moefab::chips {
namespace {

void CheckWeights(const std::shared_ptr<const ExpertWeights>& w, const EngineConfig& c, const char* who) {
  const std::string what = std::string(who) + "(" + c.ToString() + ")";
  if (!w) throw ConfigError(what + ": expert weights are null");
  ValidateExpertWeights(*w, what);
  if (!(w->shape == c.shape)) {
    std::ostringstream os;
    os << what << ": weights have shape " << w->shape.d_model << "x" << w->shape.width << ", expected "
       << c.shape.d_model << "x" << c.shape.width;
    throw ConfigError(os.str());
  }
  if (w->format != c.format) {
    throw ConfigError(what + ": weights are " + FormatTag(w->format) + ", expected " + FormatTag(c.format));
  }
  if (c.lanes == 0) throw ConfigError(what + ": lanes=0: expected >= 1");
}

std::string BuildList() {
  std::ostringstream os;
  const std::vector<EngineConfig> builds = AvailableRtlBuilds();
  if (builds.empty()) os << "(none)";
  for (std::size_t k = 0; k < builds.size(); ++k) os << (k ? ", " : "") << builds[k].ToString();
  return os.str();
}

/// Golden bits, pipeline-model timing: start = max(arrival, previous start + II),
/// done = start + L. Results are computed at Submit (PreparedExpert, the fast path).
class ModelExpertEngine final : public ExpertEngine {
 public:
  ModelExpertEngine(std::shared_ptr<const ExpertWeights> w, const EngineConfig& c, PipelineModel p)
      : weights_(std::move(w)), prepared_(weights_ ? PrepareGolden(*weights_) : nullptr), config_(c), pipeline_(p) {}

  const EngineConfig& config() const override { return config_; }
  std::uint64_t now_cycle() const override { return now_; }
  std::uint64_t rtl_cycles_simulated() const override { return 0; }

  void Submit(std::uint64_t job_id, std::span<const std::int8_t> x, std::uint8_t e,
              std::uint64_t arrival_cycle) override {
    // Timing-only engines (no weights) take jobs without bytes and return empty results.
    const std::size_t expected = prepared_ ? config_.shape.d_model : 0;
    MOEFAB_CHECK(x.size() == expected,
                 "ModelExpertEngine: job " << job_id << " x has " << x.size() << " elements, expected " << expected);
    MOEFAB_CHECK(e <= kMaxDispatchExponent, "ModelExpertEngine: job " << job_id << " e=" << int{e} << " is above 9");
    MOEFAB_CHECK(arrival_cycle >= now_ && arrival_cycle >= last_arrival_,
                 "ModelExpertEngine: job " << job_id << " arrives at " << arrival_cycle << ", before now=" << now_
                                           << " or the previous arrival " << last_arrival_);
    last_arrival_ = arrival_cycle;
    const std::uint64_t start = AdmitJob(pipeline_, arrival_cycle, any_started_, last_start_);
    CompletedJob job{job_id, start, start + pipeline_.latency.value, {}};
    if (prepared_) {
      job.y.resize(config_.shape.d_model);
      GoldenExpert(*prepared_, x, e, job.y);
    }
    queue_.push_back(std::move(job));
  }

  void AdvanceTo(std::uint64_t cycle, std::vector<CompletedJob>& done) override {
    while (!queue_.empty() && queue_.front().done_cycle <= cycle) {
      done.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    now_ = std::max(now_, cycle + 1);
  }

  bool SaveState(StateWriter& w) override {
    Archive(w);
    return true;
  }
  void LoadState(StateReader& r) override { Archive(r); }

 private:
  template <class Ar>
  void Archive(Ar& ar) {
    ar(queue_, any_started_, last_start_, last_arrival_, now_);
  }

  std::shared_ptr<const ExpertWeights> weights_;    // the slot's contents
  std::shared_ptr<const PreparedExpert> prepared_;  // repacked for the fast golden kernels
  EngineConfig config_;                             // design point (for config())
  PipelineModel pipeline_;                          // latency and II (cycles)
  std::deque<CompletedJob> queue_;                  // submitted, not yet reported
  bool any_started_ = false;                        // a job has been accepted
  std::uint64_t last_start_ = 0;                    // start cycle of the last job
  std::uint64_t last_arrival_ = 0;                  // arrival cycle of the last job
  std::uint64_t now_ = 0;                           // first cycle not yet run
};

// Valid weights of the config's shape and format with all-zero codes (for MeasurePipeline).
ExpertWeights DummyWeights(const EngineConfig& c) {
  ExpertWeights w;
  w.shape = c.shape;
  w.format = c.format;
  auto matrix = [&](std::uint32_t rows, std::uint32_t cols, std::uint8_t shift) {
    QuantMatrix m;
    m.rows = rows;
    m.cols = cols;
    m.q.assign(std::size_t{rows} * cols, 0);
    if (c.format == WeightFormat::kMxfp4) {
      m.block_exp.assign(std::size_t{rows} * ((cols + kMxBlock - 1) / kMxBlock), 127);
    }
    m.mult.assign(rows, 1);
    m.shift.assign(rows, shift);
    return m;
  };
  w.gate = matrix(c.shape.width, c.shape.d_model, kMinGateUpShift);
  w.up = matrix(c.shape.width, c.shape.d_model, kMinGateUpShift);
  w.down = matrix(c.shape.d_model, c.shape.width, kMinDownShift);
  return w;
}

}  // namespace

const char* DatapathName(Datapath d) {
  switch (d) {
    case Datapath::kMac: return "mac";
    case Datapath::kProductSelect: return "psel";
    case Datapath::kBlockLibrary: return "blib";
  }
  return "unknown";
}

const char* WeightStyleName(WeightStyle s) {
  return s == WeightStyle::kRom ? "rom" : (s == WeightStyle::kHardwired ? "hardwired" : "unknown");
}

const char* FormatTag(WeightFormat f) {
  switch (f) {
    case WeightFormat::kInt4:
      return "int4";
    case WeightFormat::kInt3:
      return "int3";
    case WeightFormat::kMxfp4:
      return "mxfp4";
  }
  return "unknown";
}

std::string EngineConfig::ToString() const {
  std::ostringstream os;
  os << shape.d_model << "x" << shape.width << "x" << lanes << "-" << FormatTag(format) << "-" << DatapathName(datapath)
     << "-" << WeightStyleName(style);
  return os.str();
}

std::unique_ptr<ExpertEngine> MakeRtlExpertEngine(std::shared_ptr<const ExpertWeights> w, const EngineConfig& config) {
  for (const internal::RtlBuild& b : internal::LinkedRtlBuilds()) {
    if (b.config == config) {
      CheckWeights(w, config, "MakeRtlExpertEngine");
      return b.make(std::move(w));
    }
  }
  std::string why = "no Verilated expert_engine build";
  if (config.style == WeightStyle::kHardwired) {
    why = "the hardwired weight style has no RTL builds yet (only rom)";
  }
  throw ConfigError("MakeRtlExpertEngine(" + config.ToString() + "): " + why + "; available builds: " + BuildList() +
                    "; add <D>x<I>x<lanes>:<int4|int3|mxfp4>:<mac|psel|blib> to the CMake cache "
                    "list MOEFAB_RTL_BUILDS and rebuild");
}

std::unique_ptr<ExpertEngine> MakeModelExpertEngine(std::shared_ptr<const ExpertWeights> w, const EngineConfig& config,
                                                    PipelineModel pipeline) {
  CheckWeights(w, config, "MakeModelExpertEngine");
  if (pipeline.latency.value == 0 || pipeline.initiation_interval.value == 0) {
    std::ostringstream os;
    os << "MakeModelExpertEngine(" << config.ToString() << "): pipeline latency=" << pipeline.latency.value
       << " initiation_interval=" << pipeline.initiation_interval.value << ": expected both >= 1";
    throw ConfigError(os.str());
  }
  return std::make_unique<ModelExpertEngine>(std::move(w), config, pipeline);
}

std::unique_ptr<ExpertEngine> MakeTimingExpertEngine(const EngineConfig& config, PipelineModel pipeline) {
  if (pipeline.latency.value == 0 || pipeline.initiation_interval.value == 0) {
    std::ostringstream os;
    os << "MakeTimingExpertEngine(" << config.ToString() << "): pipeline latency=" << pipeline.latency.value
       << " initiation_interval=" << pipeline.initiation_interval.value << ": expected both >= 1";
    throw ConfigError(os.str());
  }
  return std::make_unique<ModelExpertEngine>(nullptr, config, pipeline);
}

PipelineModel MeasurePipelineOf(ExpertEngine& engine) {
  const EngineConfig& config = engine.config();
  const std::string key = config.ToString();
  const std::vector<std::int8_t> x(config.shape.d_model, 1);
  std::vector<CompletedJob> done;
  const std::uint64_t t0 = engine.now_cycle();
  engine.Submit(0, x, 0, t0);
  engine.Submit(1, x, 0, t0);
  while (done.size() < 2) engine.AdvanceTo(engine.now_cycle() + 1024, done);
  MOEFAB_CHECK(done[0].start_cycle == t0, "MeasurePipeline: job 0 not accepted at arrival");
  const PipelineModel p{Cycles(done[0].done_cycle - done[0].start_cycle),
                        Cycles(done[1].start_cycle - done[0].start_cycle)};
  MOEFAB_CHECK(done[1].done_cycle - done[1].start_cycle == p.latency.value,
               "MeasurePipeline(" << key << "): latency differs between jobs");
  return p;
}

PipelineModel MeasurePipeline(const EngineConfig& config) {
  static std::mutex mu;
  static std::map<std::string, PipelineModel> cache;  // by EngineConfig::ToString()
  const std::string key = config.ToString();
  {
    const std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  // Construct first (ConfigError when there is no build), then: one job alone, and two jobs
  // that arrive together (the second waits exactly II).
  if (config.lanes == 0 || config.shape.d_model == 0 || config.shape.width == 0) {
    throw ConfigError("MeasurePipeline(" + key + "): lanes, d_model and width must be >= 1");
  }
  auto weights = std::make_shared<const ExpertWeights>(DummyWeights(config));
  std::unique_ptr<ExpertEngine> engine = MakeRtlExpertEngine(weights, config);
  const PipelineModel p = MeasurePipelineOf(*engine);
  const std::lock_guard<std::mutex> lock(mu);
  cache.emplace(key, p);
  return p;
}

std::vector<EngineConfig> AvailableRtlBuilds() {
  std::vector<EngineConfig> configs;
  for (const internal::RtlBuild& b : internal::LinkedRtlBuilds()) configs.push_back(b.config);
  return configs;
}

PipelineModel ClosedFormPipeline(const EngineConfig& config) {
  const std::uint64_t d = config.shape.d_model;
  const std::uint64_t i = config.shape.width;
  const std::uint64_t l = config.lanes;
  if (l == 0 || d == 0 || i == 0) {
    throw ConfigError("ClosedFormPipeline(" + config.ToString() + "): lanes, d_model and width must be >= 1");
  }
  const std::uint64_t dg = (d + l - 1) / l;  // x / y beats, gate/up words per row
  const std::uint64_t ig = (i + l - 1) / l;  // down words per row
  return PipelineModel{Cycles(i * dg + d * ig + 4), Cycles(std::max(i * dg, d * ig))};
}

}  // namespace moefab::chips
