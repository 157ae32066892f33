// sweep.html (runtime/reports/sweep_report.h): the Pareto frontier of area against throughput
// on hand-made points, ties included, and the page that shows it.
#include "runtime/reports/sweep_report.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace moefab {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SweepReportTest, ParetoFrontKeepsWhatNothingBeatsOnBoth) {
  // cost (smaller is better), value (larger is better).
  const std::vector<double> cost = {1, 2, 2, 3, 4, 4, 5};
  const std::vector<double> value = {10, 20, 15, 20, 30, 30, 25};
  // 0: cheapest. 1: beats 2 (same cost, faster) and 3 (cheaper, as fast). 4 and 5 tie: both
  // stay (neither is strictly better). 6: 4 is cheaper and faster.
  const std::vector<bool> expected = {true, true, false, false, true, true, false};
  EXPECT_EQ(ParetoFront(cost, value), expected);
  EXPECT_EQ(ParetoFront({}, {}), std::vector<bool>{});
  EXPECT_EQ(ParetoFront({7}, {1}), std::vector<bool>{true});
}

TEST(SweepReportTest, PageShowsThePointsAndMarksTheFrontier) {
  std::vector<SweepRow> rows(3);
  rows[0] = {"point-000", {"32"}, 2500, 9e5, 1e11, 700, "MATCH"};
  rows[1] = {"point-001", {"64"}, 4400, 8e5, 1.2e11, 850, "MATCH"};
  rows[2] = {"point-002", {"128"}, 4400, 8e5, 1.6e11, 1140, "MATCH"};  // bigger, no faster
  const std::string h = SweepReportHtml("configs/models/olmoe-1b-7b.textproto", {"skus[1].mac_lanes"}, rows);
  EXPECT_NE(h.find("<svg id=\"frontier\""), std::string::npos);
  EXPECT_EQ(Count(h, "class=\"point on-frontier\""), 2u);
  EXPECT_EQ(Count(h, "class=\"point\""), 1u);
  EXPECT_NE(h.find("class=\"frontier-line\""), std::string::npos);
  EXPECT_EQ(Count(h, "<tr class=\"frontier\">"), 2u);
  EXPECT_NE(h.find("skus[1].mac_lanes"), std::string::npos);
  EXPECT_EQ(Count(h, "<svg"), Count(h, "</svg>"));
  EXPECT_EQ(Count(h, "<tr"), Count(h, "</tr>"));
}

TEST(SweepReportTest, PointsWithoutAnAreaAreOnNoFrontier) {
  std::vector<SweepRow> rows(2);
  rows[0] = {"point-000", {"a"}, 9000, 1e5, 0, 0, "MATCH"};  // no etched expert chip
  rows[1] = {"point-001", {"b"}, 100, 1e5, 1e9, 5, "MATCH"};
  const std::string h = SweepReportHtml("x", {"k"}, rows);
  EXPECT_EQ(Count(h, "class=\"point on-frontier\""), 1u);
  EXPECT_EQ(Count(h, "<tr class=\"frontier\">"), 1u);
}

}  // namespace
}  // namespace moefab
