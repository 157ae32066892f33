// `moefab tapeout CONFIG [--out DIR] [--cache DIR]`: builds the hardwired chips of a config:
// for every EXPERT chip kind with weight_style HARDWIRED, every (layer, expert) placed on such
// a chip gets its own generated RTL (weights as constants) and Verilated engine, cached by
// content hash. Prints "built i of N" as each engine is ready, then the per-expert build
// report, and writes DIR/tapeout.json.
#include "runtime/commands/commands.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include "chips/tapeout/tapeout.h"
#include "runtime/config/config_loader.h"
#include "runtime/plan/model_data.h"
#include "runtime/results/results.h"

namespace moefab {

int TapeoutCommand(const CommandArgs& args) {
  const RunOptions options = LoadConfigFile(args.config_path);
  const ClusterPlan plan = MakePlan(options);
  ModelData data(options, plan);
  chips::tapeout::BuildOptions build;
  build.cache_dir = !args.cache_dir.empty() ? args.cache_dir : options.build_cache;
  // One report per hardwired chip kind: each kind is one design point.
  std::map<uint32_t, std::vector<chips::tapeout::TapeoutExpert>> by_sku;
  std::map<uint32_t, std::set<std::pair<uint32_t, uint32_t>>> seen;
  for (NodeId n = 0; n < options.num_nodes(); ++n) {
    const SkuOptions& sku = options.SkuOf(n);
    if (sku.kind != ChipKind::kExpert || sku.weight_style != chips::WeightStyle::kHardwired) continue;
    for (const auto& [layer, expert] : plan.placement.SlotsOn(n)) {
      if (!seen[options.node_sku[n]].insert({layer, expert}).second) continue;
      by_sku[options.node_sku[n]].push_back(
          {"layer " + std::to_string(layer) + " expert " + std::to_string(expert), data.Expert(layer, expert)});
    }
  }
  if (by_sku.empty())
    throw ConfigError(options.config_path +
                      ": skus[*].weight_style: no EXPERT chip kind is HARDWIRED; expected at least "
                      "one for moefab tapeout (ROM chips need no tapeout)");
  std::string json = "[\n";
  std::size_t total = 0, before = 0;
  for (const auto& [sku_index, experts] : by_sku) total += experts.size();
  std::printf("tapeout: %zu hardwired engine%s to build or find in the cache %s\n", total, total == 1 ? "" : "s",
              build.cache_dir.empty() ? "(default cache)" : build.cache_dir.c_str());
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [sku_index, experts] : by_sku) {
    const SkuOptions& sku = options.skus[sku_index];
    // One line per engine as it is ready: a build takes seconds to minutes.
    build.on_ready = [&](std::size_t done, std::size_t, const std::string& expert, bool hit) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("built %zu of %zu: chip kind %s, %s%s (%.1f s)\n", before + done, total, sku.name.c_str(),
                  expert.c_str(), hit ? " from the cache" : "", s);
      std::fflush(stdout);
    };
    const auto report = chips::tapeout::Tapeout(experts, EngineConfigOf(options.model, sku), build);
    std::printf("chip kind %s:\n%s\n", sku.name.c_str(), chips::tapeout::FormatTapeoutReport(report).c_str());
    json += (json.size() > 2 ? ",\n" : "") + chips::tapeout::TapeoutReportJson(report);
    before += experts.size();
  }
  json += "\n]\n";
  if (!args.out_dir.empty()) {
    WriteFileAtomically(args.out_dir, "tapeout.json", json);
    std::printf("wrote %s/tapeout.json\n", args.out_dir.c_str());
  }
  return 0;
}

}  // namespace moefab
