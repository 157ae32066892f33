#include "runtime/cluster/rtl_engines.h"

#include <algorithm>

#include "chips/numerics/quantize.h"

namespace moefab {

namespace {
chips::EngineConfig AsRom(chips::EngineConfig c) {
  c.style = chips::WeightStyle::kRom;
  return c;
}
}  // namespace

bool IsPrebuilt(const chips::EngineConfig& config) {
  const auto builds = chips::AvailableRtlBuilds();
  return std::find(builds.begin(), builds.end(), AsRom(config)) != builds.end();
}

RtlEngines::RtlEngines(std::string cache_dir, std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {
  build_.cache_dir = std::move(cache_dir);
}

std::unique_ptr<chips::ExpertEngine> RtlEngines::Make(std::shared_ptr<const chips::ExpertWeights> weights,
                                                      const chips::EngineConfig& config, const std::string& what) {
  if (config.style == chips::WeightStyle::kRom && IsPrebuilt(config))
    return chips::MakeRtlExpertEngine(std::move(weights), config);
  return chips::tapeout::MakeAnyRtlExpertEngine(std::move(weights), config, build_, what);
}

chips::PipelineModel RtlEngines::Pipeline(const chips::EngineConfig& config) {
  const chips::EngineConfig rom = AsRom(config);
  auto it = pipelines_.find(rom.ToString());
  if (it != pipelines_.end()) return it->second;
  chips::PipelineModel p;
  if (IsPrebuilt(rom)) {
    p = chips::MeasurePipeline(rom);
  } else {
    log_->info("measuring the pipeline of {} from an on-demand RTL build", rom.ToString());
    auto weights = std::make_shared<const chips::ExpertWeights>(
        chips::MakeSyntheticExpertWeights(rom.shape, rom.format, chips::Activation::kSwiGlu, 1));
    auto engine = chips::tapeout::MakeAnyRtlExpertEngine(weights, rom, build_, rom.ToString());
    p = chips::MeasurePipelineOf(*engine);
  }
  pipelines_.emplace(rom.ToString(), p);
  return p;
}

}  // namespace moefab
