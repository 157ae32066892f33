#include "chips/numerics/block_library.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "core/error.h"

namespace moefab::chips {

namespace {

std::uint32_t CeilLog2(std::uint64_t v) {
  std::uint32_t b = 0;
  while ((std::uint64_t{1} << b) < v) ++b;
  return b;
}

// The sort value of a code: INT values offset to be non-negative, MXFP4 the magnitude code.
std::uint32_t SortValue(std::int8_t q, WeightFormat f) {
  switch (f) {
    case WeightFormat::kInt4: return static_cast<std::uint32_t>(q + 8);
    case WeightFormat::kInt3: return static_cast<std::uint32_t>(q + 4);
    case WeightFormat::kMxfp4: return static_cast<std::uint32_t>(q) & 7u;
  }
  return 0;
}

struct Position {
  std::uint32_t value;  // sort value
  std::uint32_t lane;   // lane within the block
  bool negative;        // MXFP4 sign bit
};

// The block's positions sorted by value (ties in lane order); padding lanes are weight 0.
std::array<Position, 8> SortedPositions(const QuantMatrix& m, WeightFormat f, std::uint32_t row,
                                        std::uint32_t block, std::uint32_t n) {
  std::array<Position, 8> p{};
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t c = block * n + i;
    const std::int8_t q = c < m.cols ? m.q[std::size_t{row} * m.cols + c] : std::int8_t{0};
    p[i] = Position{SortValue(q, f), i, f == WeightFormat::kMxfp4 && (q & 8) != 0};
  }
  std::stable_sort(p.begin(), p.begin() + n, [](const Position& a, const Position& b) { return a.value < b.value; });
  return p;
}

std::uint64_t KeyOf(const std::array<Position, 8>& p, std::uint32_t n) {
  std::uint64_t key = 0;
  for (std::uint32_t i = 0; i < n; ++i) key |= std::uint64_t{p[i].value} << (4 * i);
  return key;
}

void CheckBlock(std::uint32_t n) {
  if (n < 1 || n > 8) throw ConfigError("block size " + std::to_string(n) + ": expected 1 .. 8");
}

}  // namespace

std::uint32_t BlockAlphabet(WeightFormat f) {
  return f == WeightFormat::kInt4 ? 16u : 8u;
}

std::uint64_t BlockLibraryBound(WeightFormat f, std::uint32_t n) {
  // C(V + n - 1, n), exact in 64 bits for n <= 8.
  const std::uint64_t v = BlockAlphabet(f);
  std::uint64_t c = 1;
  for (std::uint64_t i = 1; i <= n; ++i) c = c * (v + i - 1) / i;
  return c;
}

std::uint32_t PermutationBits(std::uint32_t n) {
  std::uint64_t fact = 1;
  for (std::uint64_t i = 2; i <= n; ++i) fact *= i;
  return CeilLog2(fact);
}

std::uint64_t BenesSwitches(std::uint32_t n) {
  if (n < 2) return 0;
  return std::uint64_t{n} * CeilLog2(n) - n / 2;
}

std::uint64_t SortedBlockKey(const QuantMatrix& m, WeightFormat f, std::uint32_t row, std::uint32_t block,
                             std::uint32_t n) {
  CheckBlock(n);
  return KeyOf(SortedPositions(m, f, row, block, n), n);
}

BlockCounter::BlockCounter(WeightFormat format, std::uint32_t n) : format_(format), n_(n) {
  CheckBlock(n);
}

void BlockCounter::Add(const QuantMatrix& m) {
  const std::uint32_t nb = (m.cols + n_ - 1) / n_;
  for (std::uint32_t r = 0; r < m.rows; ++r)
    for (std::uint32_t b = 0; b < nb; ++b) keys_.insert(KeyOf(SortedPositions(m, format_, r, b, n_), n_));
  blocks_ += std::uint64_t{m.rows} * nb;
}

void BlockCounter::Merge(const BlockCounter& other) {
  MOEFAB_CHECK(other.format_ == format_ && other.n_ == n_, "BlockCounter::Merge of different formats or sizes");
  keys_.insert(other.keys_.begin(), other.keys_.end());
  blocks_ += other.blocks_;
}

BlockStats MakeBlockStats(const std::string& scope, const BlockCounter& c, WeightFormat f, std::uint32_t n) {
  BlockStats s;
  s.scope = scope;
  s.format = f;
  s.block = n;
  s.blocks = c.blocks();
  s.weights = c.blocks() * n;
  s.distinct = c.distinct();
  s.bound = BlockLibraryBound(f, n);
  s.index_bits = CeilLog2(s.distinct);
  s.perm_bits = PermutationBits(n);
  s.sign_bits = f == WeightFormat::kMxfp4 ? n : 0;
  s.benes_switches = BenesSwitches(n);
  return s;
}

std::string FormatBlockStats(std::span<const BlockStats> stats) {
  std::string out =
      "scope                      format  n       blocks   distinct      bound  fill%  idx+perm+sign bits/w  benes/blk\n";
  char line[256];
  for (const auto& s : stats) {
    std::snprintf(line, sizeof line, "%-26s %-6s %2u %12llu %10llu %10llu %6.2f  %3u+%2u+%u  %5.2f   %4llu\n",
                  s.scope.c_str(), WeightFormatName(s.format), s.block, static_cast<unsigned long long>(s.blocks),
                  static_cast<unsigned long long>(s.distinct), static_cast<unsigned long long>(s.bound),
                  100.0 * double(s.distinct) / double(s.bound), s.index_bits, s.perm_bits, s.sign_bits,
                  s.bits_per_weight(), static_cast<unsigned long long>(s.benes_switches));
    out += line;
  }
  return out;
}

BlockWordLayout RtlBlockLayout(WeightFormat f) {
  BlockWordLayout l;
  l.entry_bits = CeilLog2(BlockLibraryBound(f, kRtlBlock));
  l.block_bits = l.entry_bits + 2 * kRtlBlock + (f == WeightFormat::kMxfp4 ? kRtlBlock : 0);
  l.entry_word_bits = kRtlBlock * (f == WeightFormat::kInt3 ? 3u : 4u);
  return l;
}

BlockLibraryImage BuildBlockLibraryImage(const ExpertWeights& w, std::uint32_t lanes) {
  if (lanes != 4 && lanes != 8)
    throw ConfigError("block-library datapath: lanes " + std::to_string(lanes) +
                      ": expected 4 or 8 (the index word of lanes / 4 blocks must fit the 64-bit load port)");
  const WeightFormat f = w.format;
  const BlockWordLayout layout = RtlBlockLayout(f);
  const std::uint32_t wb = f == WeightFormat::kInt3 ? 3u : 4u;
  const QuantMatrix* mats[3] = {&w.gate, &w.up, &w.down};
  // Blocks per row: whole weight words, so a word's padding lanes are blocks of zero weights.
  auto row_blocks = [&](const QuantMatrix& m) { return (m.cols + lanes - 1) / lanes * (lanes / kRtlBlock); };
  // The library: every sorted block of the three matrices, in ascending key order.
  std::map<std::uint64_t, std::uint32_t> index;
  std::map<std::uint64_t, std::uint64_t> entry_word;
  for (const QuantMatrix* m : mats)
    for (std::uint32_t r = 0; r < m->rows; ++r)
      for (std::uint32_t b = 0; b < row_blocks(*m); ++b) {
        const auto p = SortedPositions(*m, f, r, b, kRtlBlock);
        std::uint64_t word = 0;
        for (std::uint32_t i = 0; i < kRtlBlock; ++i) {
          // The entry holds the code: INT two's complement, MXFP4 the magnitude.
          const std::uint32_t code =
              f == WeightFormat::kMxfp4 ? p[i].value : (p[i].value - (f == WeightFormat::kInt4 ? 8u : 4u)) & ((1u << wb) - 1);
          word |= std::uint64_t{code} << (wb * i);
        }
        entry_word.emplace(KeyOf(p, kRtlBlock), word);
      }
  BlockLibraryImage img;
  for (const auto& [key, word] : entry_word) {
    index.emplace(key, static_cast<std::uint32_t>(img.entries.size()));
    img.entries.push_back(word);
  }
  // Index words: the code ROMs' addresses (row r, lane group k), lanes / 4 blocks per word.
  auto pack = [&](const QuantMatrix& m) {
    const std::uint32_t groups = (m.cols + lanes - 1) / lanes;
    std::vector<std::uint64_t> words(std::size_t{m.rows} * groups, 0);
    for (std::uint32_t r = 0; r < m.rows; ++r)
      for (std::uint32_t k = 0; k < groups; ++k)
        for (std::uint32_t bl = 0; bl < lanes / kRtlBlock; ++bl) {
          const std::uint32_t b = (k * lanes) / kRtlBlock + bl;  // block index in the row
          const auto p = SortedPositions(m, f, r, b, kRtlBlock);
          std::uint64_t bw = index.at(KeyOf(p, kRtlBlock));
          for (std::uint32_t i = 0; i < kRtlBlock; ++i) {
            bw |= std::uint64_t{p[i].lane} << (layout.entry_bits + 2 * i);
            if (p[i].negative) bw |= std::uint64_t{1} << (layout.entry_bits + 2 * kRtlBlock + i);
          }
          words[std::size_t{r} * groups + k] |= bw << (layout.block_bits * bl);
        }
    return words;
  };
  img.gate = pack(w.gate);
  img.up = pack(w.up);
  img.down = pack(w.down);
  return img;
}

}  // namespace moefab::chips
