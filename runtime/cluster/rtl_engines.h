// Where a rank's Verilated expert engines come from: the builds linked into moefab (CMake
// list MOEFAB_RTL_BUILDS) when one matches, otherwise an on-demand Verilator build cached by
// content hash (chips/tapeout): ROM style per design point, HARDWIRED style per expert. The
// pipeline model of a design point is always measured from its RTL (HARDWIRED engines share
// the ROM microarchitecture and its cycles, which chips/tapeout's tests prove).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "chips/expert_engine.h"
#include "chips/tapeout/tapeout.h"

namespace moefab {

class RtlEngines {
 public:
  RtlEngines(std::string cache_dir, std::shared_ptr<spdlog::logger> log);

  /// An RTL engine holding `weights` for `config` (built on demand if not linked in).
  std::unique_ptr<chips::ExpertEngine> Make(std::shared_ptr<const chips::ExpertWeights> weights,
                                            const chips::EngineConfig& config, const std::string& what);
  /// Latency and initiation interval of `config`, measured from its RTL once per design point.
  chips::PipelineModel Pipeline(const chips::EngineConfig& config);

 private:
  chips::tapeout::BuildOptions build_;  // on-demand builds
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, chips::PipelineModel> pipelines_;  // by ROM design point
};

/// True when `config` (as ROM) is among the builds linked into this binary.
bool IsPrebuilt(const chips::EngineConfig& config);

}  // namespace moefab
