// `moefab blocks CONFIG [--out DIR]`: block-library statistics of CONFIG's expert weights
// (synthetic from the model's seed, or read from its safetensors file): per layer and matrix
// (gate, up, down over the layer's experts) and per layer (all three), the distinct sorted
// blocks for block sizes 2, 4, 8 in INT3, INT4 and MXFP4 (each expert's float reference
// re-quantised; an expert without one, e.g. native gpt-oss MXFP4, only in its own format),
// beside the combinatorial bound C(V + n - 1, n) and the permutation network per block.
// Writes DIR/blocks.txt.
#include <cstdio>

#include "chips/numerics/block_library.h"
#include "chips/numerics/quantize.h"
#include "runtime/commands/commands.h"
#include "runtime/config/config_loader.h"
#include "runtime/plan/cluster_plan.h"
#include "runtime/plan/model_data.h"
#include "runtime/results/results.h"

namespace moefab {

namespace {

constexpr chips::WeightFormat kFormats[] = {chips::WeightFormat::kInt3, chips::WeightFormat::kInt4,
                                            chips::WeightFormat::kMxfp4};
constexpr std::uint32_t kBlockSizes[] = {2, 4, 8};
constexpr const char* kMatrixNames[] = {"gate", "up", "down"};

// The three matrices of an expert in `f`: its own, or its float reference re-quantised.
bool MatricesIn(const chips::ExpertWeights& w, chips::WeightFormat f, chips::QuantMatrix out[3]) {
  if (w.format == f) {
    out[0] = w.gate;
    out[1] = w.up;
    out[2] = w.down;
    return true;
  }
  if (!w.reference) return false;
  const auto& r = *w.reference;
  const std::uint32_t d = w.shape.d_model, i = w.shape.width;
  out[0] = chips::QuantizeWeights(r.w_gate, i, d, f).matrix;
  out[1] = chips::QuantizeWeights(r.w_up, i, d, f).matrix;
  out[2] = chips::QuantizeWeights(r.w_down, d, i, f).matrix;
  return true;
}

}  // namespace

int BlocksCommand(const CommandArgs& args) {
  const RunOptions o = LoadConfigFile(args.config_path);
  const ClusterPlan plan = MakePlan(o);
  ModelData data(o, plan);
  data.CheckWeightFile();
  const ModelOptions& m = o.model;
  std::vector<chips::BlockStats> stats;
  for (std::uint32_t layer = 0; layer < m.num_layers; ++layer) {
    for (const chips::WeightFormat f : kFormats) {
      std::vector<chips::BlockCounter> per_matrix[3];
      for (auto& v : per_matrix)
        for (const std::uint32_t n : kBlockSizes) v.emplace_back(f, n);
      bool any = false;
      for (std::uint32_t e = 0; e < m.experts_per_layer(); ++e) {
        chips::QuantMatrix mats[3];
        if (!MatricesIn(*data.Expert(layer, e), f, mats)) continue;
        any = true;
        for (int k = 0; k < 3; ++k)
          for (auto& c : per_matrix[k]) c.Add(mats[k]);
      }
      if (!any) continue;
      const std::string where = "layer " + std::to_string(layer) + " ";
      for (std::size_t b = 0; b < std::size(kBlockSizes); ++b) {
        chips::BlockCounter all(f, kBlockSizes[b]);
        for (int k = 0; k < 3; ++k) {
          stats.push_back(chips::MakeBlockStats(where + kMatrixNames[k], per_matrix[k][b], f, kBlockSizes[b]));
          all.Merge(per_matrix[k][b]);
        }
        stats.push_back(chips::MakeBlockStats(where + "all", all, f, kBlockSizes[b]));
      }
    }
  }
  const std::string text =
      "block libraries of " + (m.name.empty() ? std::string("the model") : m.name) + " (" +
      std::to_string(m.num_layers) + " layers x " + std::to_string(m.experts_per_layer()) + " experts of " +
      std::to_string(m.d_model) + " x " + std::to_string(m.expert_width) + ", " +
      (m.safetensors.empty() ? std::string("synthetic weights") : "weights of " + m.safetensors) +
      "); per matrix over the layer's experts.\n"
      "distinct: sorted blocks that occur (library entries); bound: C(V + n - 1, n) (V = 8 for INT3 and MXFP4\n"
      "magnitudes, 16 for INT4); bits/w: library index + permutation + signs per weight (INT3 3, INT4 and\n"
      "MXFP4 4 stored directly); benes/blk: 2x2 switches of the permutation network of one block.\n" +
      chips::FormatBlockStats(stats);
  std::fputs(text.c_str(), stdout);
  if (!args.out_dir.empty()) WriteFileAtomically(args.out_dir, "blocks.txt", text);
  return 0;
}

}  // namespace moefab
