#include "chips/expert_engine.h"

#include <sstream>
#include <utility>

#include "chips/golden_expert.h"
#include "chips/rtl_registry.h"
#include "runtime/core/error.h"

namespace moefab::chips {
namespace {

std::string BuildName(std::uint32_t d, std::uint32_t i, std::uint32_t lanes) {
  return std::to_string(d) + "x" + std::to_string(i) + "x" + std::to_string(lanes);
}

void CheckWeights(const std::shared_ptr<const ExpertWeights>& w, const char* who) {
  if (!w) throw ConfigError(std::string(who) + ": expert weights are null");
  ValidateExpertWeights(*w);
}

class GoldenExpertEngine final : public ExpertEngine {
 public:
  GoldenExpertEngine(std::shared_ptr<const ExpertWeights> w, std::uint32_t lanes)
      : weights_(std::move(w)), job_cycles_(ExpertJobCycles(weights_->shape, lanes)) {}

  Cycles Run(std::span<const std::int8_t> x, std::span<std::int8_t> y) override {
    GoldenExpert(*weights_, x, y);
    return job_cycles_;
  }
  const ExpertShape& shape() const override { return weights_->shape; }
  std::uint64_t rtl_cycles_simulated() const override { return 0; }

 private:
  std::shared_ptr<const ExpertWeights> weights_;  // the hardwired contents (shared, immutable)
  Cycles job_cycles_;                             // ExpertJobCycles of this shape and lanes
};

}  // namespace

std::unique_ptr<ExpertEngine> MakeRtlExpertEngine(std::shared_ptr<const ExpertWeights> w,
                                                  std::uint32_t lanes) {
  CheckWeights(w, "MakeRtlExpertEngine");
  const ExpertShape s = w->shape;
  for (const internal::RtlBuild& b : internal::LinkedRtlBuilds()) {
    if (b.d_model == s.d_model && b.width == s.width && b.lanes == lanes) {
      return b.make(std::move(w));
    }
  }
  std::ostringstream os;
  os << "MakeRtlExpertEngine: no Verilated expert_engine build for d_model=" << s.d_model
     << " width=" << s.width << " lanes=" << lanes << " ("
     << BuildName(s.d_model, s.width, lanes) << "); available builds: ";
  const std::vector<std::string> names = AvailableRtlBuilds();
  if (names.empty()) os << "(none)";
  for (std::size_t k = 0; k < names.size(); ++k) os << (k ? ", " : "") << names[k];
  os << "; add the shape to the CMake cache variable MOEFAB_RTL_SHAPES and rebuild";
  throw ConfigError(os.str());
}

std::unique_ptr<ExpertEngine> MakeGoldenExpertEngine(std::shared_ptr<const ExpertWeights> w,
                                                     std::uint32_t lanes) {
  CheckWeights(w, "MakeGoldenExpertEngine");
  if (lanes == 0) throw ConfigError("MakeGoldenExpertEngine: lanes=0: must be >= 1");
  return std::make_unique<GoldenExpertEngine>(std::move(w), lanes);
}

std::vector<std::string> AvailableRtlBuilds() {
  std::vector<std::string> names;
  for (const internal::RtlBuild& b : internal::LinkedRtlBuilds()) {
    names.push_back(BuildName(b.d_model, b.width, b.lanes));
  }
  return names;
}

}  // namespace moefab::chips
