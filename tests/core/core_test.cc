// Core vocabulary: fixed-point helpers, clock conversion, seeded random streams.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/log_histogram.h"

#include "core/rng.h"
#include "core/types.h"

namespace moefab {
namespace {

TEST(CoreTest, RoundShiftRoundsHalfUpOnBothSides) {
  EXPECT_EQ(RoundShift(3, 1), 2);    // 1.5 -> 2
  EXPECT_EQ(RoundShift(1, 1), 1);    // 0.5 -> 1
  EXPECT_EQ(RoundShift(-1, 1), 0);   // -0.5 -> 0 (half up, towards +inf)
  EXPECT_EQ(RoundShift(-3, 1), -1);  // -1.5 -> -1
  EXPECT_EQ(RoundShift(-5, 2), -1);  // -1.25 -> -1
  EXPECT_EQ(RoundShift(5, 2), 1);    // 1.25 -> 1
  EXPECT_EQ(RoundShift(7, 0), 7);
}

TEST(CoreTest, SatInt8ClampsAtTheEdges) {
  EXPECT_EQ(SatInt8(127), 127);
  EXPECT_EQ(SatInt8(128), 127);
  EXPECT_EQ(SatInt8(-128), -128);
  EXPECT_EQ(SatInt8(-129), -128);
  EXPECT_EQ(SatInt8(0), 0);
}

TEST(CoreTest, ClockDomainConvertsCyclesToTicks) {
  ClockDomain clock{1250};  // 800 MHz
  EXPECT_EQ(clock.ToTicks(Cycles(0)), 0u);
  EXPECT_EQ(clock.ToTicks(Cycles(4)), 5000u);
  EXPECT_EQ((Cycles(2) + Cycles(3)).value, 5u);
}

TEST(CoreTest, SplitMix64IsSeededAndRepeatable) {
  SplitMix64 a(42), b(42), c(43);
  const auto va = a.Next();
  EXPECT_EQ(va, b.Next());
  EXPECT_NE(va, c.Next());
  SplitMix64 r(7);
  for (int i = 0; i < 1000; ++i) {
    const auto v = r.Uniform(-8, 7);
    ASSERT_GE(v, -8);
    ASSERT_LE(v, 7);
  }
  EXPECT_NE(MixSeed(1, 2, 3), MixSeed(1, 3, 2));
}

}  // namespace
}  // namespace moefab

namespace moefab {
namespace {

TEST(LogHistogramTest, BucketsBoundTheirValuesWithinOneSixteenth) {
  for (uint64_t v : {0ull, 1ull, 15ull, 16ull, 17ull, 31ull, 32ull, 1000ull, 123456789ull, (1ull << 40) + 12345}) {
    const uint32_t b = LogHistogram::BucketOf(v);
    EXPECT_GE(LogHistogram::UpperOf(b), v) << v;
    if (b > 0) {
      EXPECT_LT(LogHistogram::UpperOf(b - 1), v) << v;
    }
    EXPECT_LE(static_cast<double>(LogHistogram::UpperOf(b) - v), static_cast<double>(v) / 16.0 + 1) << v;
  }
}

TEST(LogHistogramTest, QuantilesAndMergeInAnyOrder) {
  LogHistogram a, b;
  for (uint64_t v = 1; v <= 1000; ++v) (v % 2 ? a : b).Add(v * 1000);
  LogHistogram ab, ba;
  ab.Merge(a.counts);
  ab.Merge(b.counts);
  ba.Merge(b.counts);
  ba.Merge(a.counts);
  EXPECT_EQ(ab.counts, ba.counts);
  EXPECT_EQ(ab.Count(), 1000u);
  const uint64_t p50 = ab.Quantile(0.5), p99 = ab.Quantile(0.99);
  EXPECT_GE(p50, 500000u);
  EXPECT_LE(p50, 500000u + 500000u / 16);
  EXPECT_GE(p99, 990000u);
  EXPECT_LE(p99, 990000u + 990000u / 16);
  EXPECT_EQ(LogHistogram().Quantile(0.5), 0u);
}

}  // namespace
}  // namespace moefab

namespace moefab {
namespace {

// Issue 12: bytes from a corrupt file are quoted escaped and cut, never raw.
TEST(ErrorTest, PrintableEscapesAndCuts) {
  EXPECT_EQ(Printable("layers 2"), "layers 2");
  EXPECT_EQ(Printable(std::string("a\x1b[2J\xff\n", 7)), "a\\x1b[2J\\xff\\x0a");
  EXPECT_EQ(Printable("a\\b"), "a\\x5cb");
  EXPECT_EQ(Printable(std::string(100, 'x'), 4), "xxxx...");
}

TEST(ErrorTest, IsUtf8AcceptsWellFormedOnly) {
  EXPECT_TRUE(IsUtf8("model.layers.0.gate.weight"));
  EXPECT_TRUE(IsUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_FALSE(IsUtf8("\xff"));
  EXPECT_FALSE(IsUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace moefab
