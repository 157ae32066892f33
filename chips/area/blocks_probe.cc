// moefab_blocks_probe: block-library statistics of one synthetic ROWS x COLS matrix (seeded
// Gaussian, 1/64 of the rows 3x, as the synthetic experts) in INT3, INT4 and MXFP4, block sizes
// 2, 4 and 8 (reproduces the README's 4096 x 4096 figures; a few seconds at that size).
//   moefab_blocks_probe ROWS COLS [seed]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "chips/numerics/block_library.h"
#include "chips/numerics/quantize.h"

int main(int argc, char** argv) {
  using namespace moefab::chips;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ROWS COLS [seed]\n", argv[0]);
    return 2;
  }
  try {
    const auto rows = static_cast<std::uint32_t>(std::atoi(argv[1]));
    const auto cols = static_cast<std::uint32_t>(std::atoi(argv[2]));
    const std::uint64_t seed = argc >= 4 ? std::strtoull(argv[3], nullptr, 10) : 1;
    if (rows == 0 || cols == 0 || rows > 65536 || cols > 65536) {
      std::fprintf(stderr, "error: ROWS x COLS %s x %s: expected 1 .. 65536 each\n", argv[1], argv[2]);
      return 2;
    }
    // The gate matrix (rows x cols) of a synthetic expert of d_model cols, width rows.
    const FloatExpert f = MakeSyntheticFloatExpert({cols, rows}, Activation::kSwiGlu, seed);
    std::vector<BlockStats> stats;
    for (const WeightFormat fmt : {WeightFormat::kInt3, WeightFormat::kInt4, WeightFormat::kMxfp4}) {
      const QuantMatrix m = QuantizeWeights(f.w_gate, rows, cols, fmt).matrix;
      for (const std::uint32_t n : {2u, 4u, 8u}) {
        BlockCounter c(fmt, n);
        c.Add(m);
        stats.push_back(MakeBlockStats(std::to_string(rows) + "x" + std::to_string(cols), c, fmt, n));
      }
    }
    std::fputs(FormatBlockStats(stats).c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
