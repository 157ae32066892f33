// Block libraries: the bound, counting distinct sorted blocks on hand-made and synthetic
// matrices, and the RTL encoding (every block rebuilt from its library entry, permutation and
// signs gives back the original codes).
#include "chips/numerics/block_library.h"

#include <gtest/gtest.h>

#include <set>

#include "chips/numerics/quantize.h"
#include "core/error.h"

namespace moefab::chips {
namespace {

QuantMatrix Matrix(std::uint32_t rows, std::uint32_t cols, std::vector<std::int8_t> q) {
  QuantMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.q = std::move(q);
  return m;
}

TEST(BlockLibraryTest, BoundIsTheMultisetCount) {
  EXPECT_EQ(BlockLibraryBound(WeightFormat::kInt3, 4), 330u);  // C(11, 4)
  EXPECT_EQ(BlockLibraryBound(WeightFormat::kInt4, 4), 3876u);  // C(19, 4)
  EXPECT_EQ(BlockLibraryBound(WeightFormat::kMxfp4, 4), 330u);  // magnitudes + signs
  EXPECT_EQ(BlockLibraryBound(WeightFormat::kInt3, 2), 36u);
  EXPECT_EQ(BlockLibraryBound(WeightFormat::kInt3, 8), 6435u);  // C(15, 8)
  EXPECT_EQ(PermutationBits(4), 5u);   // 24 permutations
  EXPECT_EQ(PermutationBits(8), 16u);  // 40320
  EXPECT_EQ(BenesSwitches(4), 6u);
  EXPECT_EQ(BenesSwitches(8), 20u);
}

TEST(BlockLibraryTest, PermutedBlocksShareAnEntry) {
  // Row 0: (1 -2 3 0) and (3 0 -2 1) are one multiset; row 1: (0 0 0 1) another.
  const QuantMatrix m = Matrix(2, 8, {1, -2, 3, 0, 3, 0, -2, 1, 0, 0, 0, 1, 0, 0, 1, 0});
  BlockCounter c(WeightFormat::kInt3, 4);
  c.Add(m);
  EXPECT_EQ(c.blocks(), 4u);
  EXPECT_EQ(c.distinct(), 2u);
  EXPECT_EQ(SortedBlockKey(m, WeightFormat::kInt3, 0, 0, 4), SortedBlockKey(m, WeightFormat::kInt3, 0, 1, 4));
  // Padding: a row of 6 columns in blocks of 4 ends with (v v 0 0).
  const QuantMatrix p = Matrix(1, 6, {1, 1, 1, 1, 0, 1});
  BlockCounter cp(WeightFormat::kInt3, 4);
  cp.Add(p);
  EXPECT_EQ(cp.blocks(), 2u);
  EXPECT_EQ(cp.distinct(), 2u);
  // MXFP4: sign-magnitude, so (+1 -1) and (-1 -1) are one sorted magnitude block.
  const QuantMatrix mx = Matrix(1, 4, {2, 10, 10, 10});
  BlockCounter cm(WeightFormat::kMxfp4, 2);
  cm.Add(mx);
  EXPECT_EQ(cm.distinct(), 1u);
  EXPECT_THROW(BlockCounter(WeightFormat::kInt3, 9), ConfigError);
}

TEST(BlockLibraryTest, SyntheticCountsStayUnderTheBound) {
  const ExpertWeights w = MakeSyntheticExpertWeights({64, 128}, WeightFormat::kInt3, Activation::kSwiGlu, 5);
  for (const std::uint32_t n : {2u, 4u, 8u}) {
    BlockCounter c(WeightFormat::kInt3, n);
    c.Add(w.gate);
    c.Add(w.up);
    c.Add(w.down);
    const BlockStats s = MakeBlockStats("expert", c, WeightFormat::kInt3, n);
    EXPECT_EQ(s.blocks, 3u * 64 * 128 / n);
    EXPECT_LE(s.distinct, s.bound);
    EXPECT_GT(s.distinct, 1u);
    // The symmetric INT3 quantiser uses 7 of the 8 codes (never -4): at most C(8, 2) pairs.
    if (n == 2) {
      EXPECT_LE(s.distinct, 28u);
      EXPECT_GE(s.distinct, 20u);
    }
    // Counting by brute force agrees.
    std::set<std::uint64_t> keys;
    for (const QuantMatrix* m : {&w.gate, &w.up, &w.down})
      for (std::uint32_t r = 0; r < m->rows; ++r)
        for (std::uint32_t b = 0; b < m->cols / n; ++b) {
          std::vector<std::int8_t> v(m->q.begin() + r * m->cols + b * n, m->q.begin() + r * m->cols + (b + 1) * n);
          std::sort(v.begin(), v.end());
          std::uint64_t k = 0;
          for (auto x : v) k = k * 16 + std::uint64_t(x + 8);
          keys.insert(k);
        }
    EXPECT_EQ(keys.size(), s.distinct) << "n " << n;
  }
}

// Rebuilds every weight code from the encoding the RTL reads.
void ExpectEncodingRoundTrips(WeightFormat f, std::uint32_t lanes) {
  const ExpertWeights w = MakeSyntheticExpertWeights({20, 36}, f, Activation::kSwiGlu, 11);
  const BlockLibraryImage img = BuildBlockLibraryImage(w, lanes);
  const BlockWordLayout l = RtlBlockLayout(f);
  const std::uint32_t wb = f == WeightFormat::kInt3 ? 3 : 4;
  EXPECT_LE(img.entries.size(), BlockLibraryBound(f, 4));
  EXPECT_LE(l.block_bits * (lanes / 4), 64u);
  auto check = [&](const QuantMatrix& m, const std::vector<std::uint64_t>& words) {
    const std::uint32_t groups = (m.cols + lanes - 1) / lanes;
    ASSERT_EQ(words.size(), std::size_t{m.rows} * groups);
    for (std::uint32_t r = 0; r < m.rows; ++r)
      for (std::uint32_t c = 0; c < groups * lanes; ++c) {
        const std::uint32_t k = c / lanes, bl = (c % lanes) / 4;
        const std::uint64_t bw = words[std::size_t{r} * groups + k] >> (l.block_bits * bl);
        const std::uint64_t entry = img.entries.at(bw & ((1u << l.entry_bits) - 1));
        std::int32_t value = 0;
        int found = 0;
        for (std::uint32_t i = 0; i < 4; ++i) {
          if (((bw >> (l.entry_bits + 2 * i)) & 3) != c % 4) continue;
          ++found;
          const auto code = static_cast<std::uint32_t>((entry >> (wb * i)) & ((1u << wb) - 1));
          if (f == WeightFormat::kMxfp4) {
            value = kMxfp4Val2[code];
            if ((bw >> (l.entry_bits + 8 + i)) & 1) value = -value;
          } else {
            value = static_cast<std::int32_t>(code) - ((code >> (wb - 1)) ? (1 << wb) : 0);
          }
        }
        ASSERT_EQ(found, 1) << "lane " << c % 4 << " is not routed exactly once";
        const std::int32_t want =
            c >= m.cols ? 0 : (f == WeightFormat::kMxfp4 ? kMxfp4Val2[m.q[r * m.cols + c] & 15] : m.q[r * m.cols + c]);
        ASSERT_EQ(value, want) << WeightFormatName(f) << " row " << r << " col " << c;
      }
  };
  check(w.gate, img.gate);
  check(w.up, img.up);
  check(w.down, img.down);
}

TEST(BlockLibraryTest, RtlEncodingRebuildsEveryWeight) {
  for (const WeightFormat f : {WeightFormat::kInt3, WeightFormat::kInt4, WeightFormat::kMxfp4})
    for (const std::uint32_t lanes : {4u, 8u}) ExpectEncodingRoundTrips(f, lanes);
  const ExpertWeights w = MakeSyntheticExpertWeights({16, 32}, WeightFormat::kInt4, Activation::kSwiGlu, 1);
  EXPECT_THROW((void)BuildBlockLibraryImage(w, 16), ConfigError);
}

}  // namespace
}  // namespace moefab::chips
