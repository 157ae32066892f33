// Issue 12: a weight file is checked at load (ModelData::CheckWeightFile, called by run and
// sweep on every rank before anything runs): one +Inf or NaN in a router or expert weight is a
// ConfigError naming the file, the layer and the element, not a silently wrong routing.
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "chips/numerics/safetensors.h"
#include "core/error.h"
#include "core/rng.h"
#include "runtime/config/config_loader.h"
#include "runtime/plan/cluster_plan.h"
#include "runtime/plan/model_data.h"

namespace moefab {
namespace {

// A FLOAT_NAMED file of 1 layer, 4 experts of 64 x 128; `poison` (if not 0) goes into the
// router weight (gate) or into expert 2's up projection (expert).
std::string WriteWeights(const std::string& name, bool in_gate, float poison) {
  const auto path = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()) + ".safetensors");
  std::vector<chips::TensorToWrite> tensors;
  SplitMix64 rng(5);
  std::vector<float> gate(4 * 64);
  for (auto& v : gate) v = static_cast<float>(rng.UniformDouble() - 0.5);
  if (in_gate && poison != 0) gate[17] = poison;
  tensors.push_back(chips::F32Tensor("L.0.gate.weight", {4, 64}, gate));
  for (uint32_t e = 0; e < 4; ++e) {
    auto f = chips::MakeSyntheticFloatExpert({64, 128}, chips::Activation::kSwiGlu, 7 + e);
    if (!in_gate && poison != 0 && e == 2) f.w_up[3] = poison;
    const std::string q = "L.0.experts." + std::to_string(e) + ".";
    tensors.push_back(chips::F32Tensor(q + "gate_proj.weight", {128, 64}, f.w_gate));
    tensors.push_back(chips::F32Tensor(q + "up_proj.weight", {128, 64}, f.w_up));
    tensors.push_back(chips::F32Tensor(q + "down_proj.weight", {64, 128}, f.w_down));
  }
  chips::WriteSafetensors(path.string(), tensors);
  return path.string();
}

// The load error of a run on `path` ("" if it loads).
std::string CheckError(const std::string& path) {
  try {
    const RunOptions o = LoadConfigText(R"(
      model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 4 top_k: 2
              weights { safetensors: ")" + path +
                                            R"(" layout: FLOAT_NAMED tensor_prefix: "L." } }
      skus { name: "a" kind: ATTENTION }
      skus { name: "e" kind: EXPERT }
      fabric { torus { dims: [3] } }
      chips { sku: "a" } chips { sku: "e" } chips { sku: "e" }
      workload { num_tokens: 4 })",
                                        "weights");
    const ClusterPlan plan = MakePlan(o);
    ModelData(o, plan).CheckWeightFile();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(WeightCheckTest, NonFiniteRouterOrExpertWeightsAreRefusedAtLoad) {
  const std::string good = WriteWeights("moefab_wc_good", true, 0);
  EXPECT_EQ(CheckError(good), "");
  std::filesystem::remove(good);
  for (float bad : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    const std::string gate = WriteWeights("moefab_wc_gate", true, bad);
    const std::string error = CheckError(gate);
    EXPECT_NE(error.find(gate + ": layer 0 router: gate weights: element 17="), std::string::npos) << error;
    EXPECT_NE(error.find("expected finite values"), std::string::npos) << error;
    std::filesystem::remove(gate);
    const std::string expert = WriteWeights("moefab_wc_expert", false, bad);
    const std::string expert_error = CheckError(expert);
    EXPECT_NE(expert_error.find("L.0.experts.2.up_proj.weight"), std::string::npos) << expert_error;
    EXPECT_NE(expert_error.find("is not finite"), std::string::npos) << expert_error;
    std::filesystem::remove(expert);
  }
}

}  // namespace
}  // namespace moefab
