// Block libraries of quantised weight matrices (the "weights in silicon" idea behind Taalas
// HC1): cut every row into blocks of n consecutive input columns; a block's weights sorted are
// one of at most C(V + n - 1, n) multisets (V weight values; 330 for INT3 blocks of 4), so a
// layer needs each distinct sorted block built once, plus a permutation network that routes
// the block's inputs to its library entry (and, for sign-magnitude formats, the signs).
// Models: the statistics (distinct sorted blocks per matrix / layer, the combinatorial bound,
// permutation-network size, bits per block as library index + permutation) and the encoding
// the BLOCK_LIBRARY datapath of chips/rtl/expert_engine.sv reads (library entries, per-block
// index words), shared by the RTL adapter and the hardwired generator.
// Sorting: INT3 / INT4 blocks by two's-complement value; MXFP4 blocks by magnitude (E2M1 code
// & 7) with one sign bit per position beside the index (sign handling). Ties keep lane order.
// A row whose length is not a multiple of n is padded with zero weights.
// Omits: sharing across layers, the wiring cost of the permutation network's inputs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "chips/numerics/expert_weights.h"

namespace moefab::chips {

/// Distinct weight values a block position can take before sorting: INT3 8, INT4 16, MXFP4 8
/// magnitudes (the sign is kept per position).
[[nodiscard]] std::uint32_t BlockAlphabet(WeightFormat f);
/// C(alphabet + n - 1, n): the number of sorted blocks (multisets) of size n.
[[nodiscard]] std::uint64_t BlockLibraryBound(WeightFormat f, std::uint32_t n);
/// Bits to choose one permutation of n inputs: ceil(log2(n!)).
[[nodiscard]] std::uint32_t PermutationBits(std::uint32_t n);
/// 2x2 switches of a Benes network on n inputs (n a power of two): n log2 n - n / 2.
[[nodiscard]] std::uint64_t BenesSwitches(std::uint32_t n);

/// The sorted block at (row, column block) of `m` as a key (4 bits per position, ascending).
[[nodiscard]] std::uint64_t SortedBlockKey(const QuantMatrix& m, WeightFormat f, std::uint32_t row,
                                           std::uint32_t block, std::uint32_t n);

/// Distinct sorted blocks of one block size over any number of matrices.
class BlockCounter {
 public:
  BlockCounter(WeightFormat format, std::uint32_t n);
  void Add(const QuantMatrix& m);
  void Merge(const BlockCounter& other);
  [[nodiscard]] std::uint64_t blocks() const { return blocks_; }
  [[nodiscard]] std::uint64_t distinct() const { return keys_.size(); }

 private:
  WeightFormat format_;
  std::uint32_t n_;
  std::uint64_t blocks_ = 0;
  std::unordered_set<std::uint64_t> keys_;
};

/// One line of block statistics.
struct BlockStats {
  std::string scope;              // e.g. "layer 0 gate", "layer 0 all"
  WeightFormat format = WeightFormat::kInt3;
  std::uint32_t block = 0;        // n
  std::uint64_t weights = 0;      // blocks * n (padding included)
  std::uint64_t blocks = 0;
  std::uint64_t distinct = 0;     // library entries
  std::uint64_t bound = 0;        // BlockLibraryBound
  std::uint32_t index_bits = 0;   // ceil(log2(distinct))
  std::uint32_t perm_bits = 0;    // PermutationBits(n)
  std::uint32_t sign_bits = 0;    // n for MXFP4, else 0
  std::uint64_t benes_switches = 0;  // per block
  /// Bits per weight as library index + permutation + signs (vs the format's bits per weight).
  [[nodiscard]] double bits_per_weight() const {
    return double(index_bits + perm_bits + sign_bits) / double(block);
  }
};
[[nodiscard]] BlockStats MakeBlockStats(const std::string& scope, const BlockCounter& c, WeightFormat f,
                                        std::uint32_t n);
/// A table of statistics lines with the bound and the bits per weight.
[[nodiscard]] std::string FormatBlockStats(std::span<const BlockStats> stats);

// ---------------------------------------------------------------- the RTL encoding (n = 4)
inline constexpr std::uint32_t kRtlBlock = 4;  // block size of the BLOCK_LIBRARY datapath

/// Field widths of one block's index word: [EB-1:0] library entry, [EB + 2i +: 2] the lane
/// (within the block) whose input meets sorted position i, MXFP4 [EB + 8 + i] the sign of
/// position i. Library entry words: position i's code at [WB*i +: WB] (MXFP4: the magnitude).
struct BlockWordLayout {
  std::uint32_t entry_bits = 0;  // EB = ceil(log2(bound))
  std::uint32_t block_bits = 0;  // EB + 8 (+ 4 for MXFP4)
  std::uint32_t entry_word_bits = 0;  // 4 * WB
};
[[nodiscard]] BlockWordLayout RtlBlockLayout(WeightFormat f);

/// The library of an expert (its three matrices) and every weight word as index words.
struct BlockLibraryImage {
  std::vector<std::uint64_t> entries;  // library entry words, ascending key order
  // Per matrix, per weight word (address r*groups + k as the code ROMs): lanes / 4 block
  // words of layout.block_bits, block b at [block_bits * b].
  std::vector<std::uint64_t> gate, up, down;
};
/// Throws ConfigError when lanes is not 4 or 8 (the index word must fit the 64-bit load port).
[[nodiscard]] BlockLibraryImage BuildBlockLibraryImage(const ExpertWeights& w, std::uint32_t lanes);

}  // namespace moefab::chips
