// moefab_area_probe: the area report of one engine configuration, extrapolated to the demo
// model and to gpt-oss-120b's experts.
//   moefab_area_probe LANES int4|int3|mxfp4 [small_D small_I large_D large_I] [work_dir]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "chips/area/area.h"

int main(int argc, char** argv) {
  using namespace moefab::chips;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s LANES int4|int3|mxfp4 [sD sI lD lI] [work_dir]\n", argv[0]);
    return 2;
  }
  try {
    EngineConfig c;
    c.lanes = static_cast<std::uint32_t>(std::atoi(argv[1]));
    const std::string f = argv[2];
    c.format = f == "int3" ? WeightFormat::kInt3 : (f == "mxfp4" ? WeightFormat::kMxfp4 : WeightFormat::kInt4);
    area::AreaOptions o;
    if (argc >= 7) {
      auto u = [&](int k) { return static_cast<std::uint32_t>(std::atoi(argv[k])); };
      o.slice_small = {u(3), u(4)};
      o.slice_large = {u(5), u(6)};
    }
    if (argc >= 8) o.work_dir = argv[7];
    o.models = {{"demo-2x8", 2 * 8, ExpertShape{64, 128}}, {"gpt-oss-120b", 36ull * 128, ExpertShape{2880, 2880}}};
    const area::AreaReport r = area::EstimateArea(c, o);
    std::fputs(area::FormatAreaReport(r).c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
