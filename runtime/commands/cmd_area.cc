// `moefab area CONFIG [--out DIR]`: the area of CONFIG's expert engines from yosys synthesis
// of two small slices per design point (ROM / HARDWIRED x MAC / product-select, at the
// model's format and each expert chip kind's lanes), extrapolated to one engine per expert of
// the whole model and printed next to Taalas HC1 (~53B transistors for 8B weights, ~6.5 per
// weight; FormatAreaReport prints the reference). A memory-bound kind (weight_style HBM) has no
// engine: it gets one line saying that its area is not modelled. Writes DIR/area.txt.
#include <cstdio>
#include <set>

#include "chips/area/area.h"
#include "runtime/commands/commands.h"
#include "runtime/config/config_loader.h"
#include "runtime/results/results.h"

namespace moefab {

int AreaCommand(const CommandArgs& args) {
  const RunOptions o = LoadConfigFile(args.config_path);
  std::set<std::string> done;
  std::string text;
  bool memory_kinds = false;
  for (const auto& sku : o.skus) {
    if (sku.kind != ChipKind::kExpert) continue;
    if (sku.memory_weights) {
      memory_kinds = true;
      text += "chip kind " + sku.name +
              " (weight_style HBM): a memory-bound chip with no engine; its area is not modelled\n\n";
      continue;
    }
    chips::EngineConfig config = EngineConfigOf(o.model, sku);
    config.style = chips::WeightStyle::kRom;
    if (!done.insert(config.ToString()).second) continue;
    chips::area::AreaOptions opts;
    opts.transistors_per_mm2 = sku.transistors_per_mm2;
    opts.models.push_back(chips::area::ModelSpec{o.model.name.empty() ? "model" : o.model.name,
                                                 uint64_t{o.model.num_layers} * o.model.experts_per_layer(),
                                                 chips::ExpertShape{o.model.d_model, o.model.expert_width}});
    const auto report = chips::area::EstimateArea(config, opts);
    text += "chip kind " + sku.name + " (" + config.ToString() + "):\n" + chips::area::FormatAreaReport(report) + "\n";
  }
  if (done.empty() && !memory_kinds)
    throw ConfigError(o.config_path + ": skus: no EXPERT chip kind; expected at least one for moefab area");
  std::fputs(text.c_str(), stdout);
  if (!args.out_dir.empty()) WriteFileAtomically(args.out_dir, "area.txt", text);
  return 0;
}

}  // namespace moefab
