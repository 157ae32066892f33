// What the commands print: durations with auto-scaled units, counts with the right number,
// the golden line saying why a check was skipped, the warning for more ranks than chips.
#include "runtime/commands/console_format.h"

#include <gtest/gtest.h>

namespace moefab {
namespace {

TEST(ConsoleFormatTest, DurationsScaleTheirUnit) {
  EXPECT_EQ(FormatDuration(40109890.6), "40.1 ms");
  EXPECT_EQ(FormatDuration(5358.1), "5.36 us");
  EXPECT_EQ(FormatDuration(9168.4), "9.17 us");
  EXPECT_EQ(FormatDuration(812), "812 ns");
  EXPECT_EQ(FormatDuration(7.5), "7.50 ns");
  EXPECT_EQ(FormatDuration(0), "0 ns");
  EXPECT_EQ(FormatDuration(999.7), "1.00 us");  // not "1000 ns"
  EXPECT_EQ(FormatDuration(999.4e3), "999 us");
  EXPECT_EQ(FormatDuration(2.5e9), "2.50 s");
  EXPECT_EQ(FormatDuration(1234.5e9), "1234 s");
  EXPECT_EQ(FormatDuration(-5358.1), "-5.36 us");
}

TEST(ConsoleFormatTest, CountsAndSummary) {
  EXPECT_EQ(CountOf(1, "rank"), "1 rank");
  EXPECT_EQ(CountOf(2, "rank"), "2 ranks");
  EXPECT_EQ(CountOf(0, "token"), "0 tokens");
  LatencySummary s;
  s.p50_ns = 40109890.6;
  s.p99_ns = 48350000;
  s.throughput_tokens_per_s = 1545.4;
  EXPECT_EQ(SummaryLine(256, s), "tokens 256 | latency p50 40.1 ms, p99 48.4 ms | throughput 1545 tokens/s (simulated)");
}

TEST(ConsoleFormatTest, GoldenLineSaysWhy) {
  RunOptions o;
  GoldenCheck g;
  o.timing_only = true;
  EXPECT_EQ(GoldenLine(g, o).find("golden check: skipped (a timing-only run"), 0u) << GoldenLine(g, o);
  EXPECT_EQ(GoldenLine(g, o).find("0 tokens"), std::string::npos);
  o.timing_only = false;
  EXPECT_EQ(GoldenLine(g, o), "golden check: skipped (simulation.skip_golden_check is true)");
  g.enabled = g.match = true;
  g.tokens_checked = 1;
  EXPECT_EQ(GoldenLine(g, o), "golden check: MATCH (1 token checked, 0 mismatched)");
}

TEST(ConsoleFormatTest, IdleRanksWarning) {
  EXPECT_EQ(IdleRanksWarning(2, 4), "");
  EXPECT_EQ(IdleRanksWarning(4, 4), "");
  EXPECT_EQ(IdleRanksWarning(5, 4).find("more ranks than chips: 5 ranks for 4 chips, so 1 rank owns no chip"), 0u)
      << IdleRanksWarning(5, 4);
}

}  // namespace
}  // namespace moefab
