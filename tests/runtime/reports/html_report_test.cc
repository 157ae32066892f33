// report.html: every plot is there, tags balance, the numbers shown are the input's, every
// torus shape draws, and the bytes are stable. Also writes sample reports for the browser
// check when MOEFAB_REPORTS_SAMPLE_DIR is set (scripts/check_report_html.sh).
#include "runtime/reports/html_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "runtime/reports/csv_writer.h"
#include "runtime/reports/trace_writer.h"
#include "tests/runtime/reports/report_fixture.h"

namespace moefab {
namespace {

using testing_reports::SmallRun;
using testing_reports::SyntheticRun;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Empty string if every element is closed in order; otherwise what went wrong. Handles
// <!DOCTYPE>, comments, self-closing tags and HTML void elements; <style> is raw text.
std::string TagBalanceError(const std::string& html) {
  static const char* kVoid[] = {"meta", "br", "img", "input", "link", "hr", "col", "wbr"};
  std::vector<std::string> open;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i);
      if (i == std::string::npos) return "unterminated comment";
      continue;
    }
    const size_t end = html.find('>', i);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
    std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty() || tag[0] == '!') continue;
    const bool closing = tag[0] == '/';
    const bool self_closing = tag.back() == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \t\n/"));
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) + ">";
      open.pop_back();
    } else if (!self_closing && std::find(std::begin(kVoid), std::end(kVoid), name) == std::end(kVoid)) {
      open.push_back(name);
      if (name == "style") {  // raw text up to </style>
        i = html.find("</style>", i);
        if (i == std::string::npos) return "unterminated <style>";
      }
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

// The element from `id="<id>"` to the end of its svg/section-level content.
std::string Svg(const std::string& html, const std::string& id) {
  const size_t at = html.find("<svg id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</svg>", at) - at);
}

std::string Card(const std::string& html, const std::string& id) {
  const size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</div></div>", at) - at);
}

TEST(HtmlReportTest, HasEveryPlotAsInlineSvgAndBalancedTags) {
  const std::string html = HtmlReport(SmallRun().Input());
  for (const char* id : kHtmlPlotIds) {
    const std::string svg = Svg(html, id);
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_GT(Count(svg, "<rect") + Count(svg, "<path") + Count(svg, "<line") + Count(svg, "<circle"), 0u) << id;
    EXPECT_NE(svg.find("<text"), std::string::npos) << id << " has no labels";
  }
  EXPECT_EQ(TagBalanceError(html), "");
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
}

TEST(HtmlReportTest, IsSelfContained) {
  const std::string html = HtmlReport(SmallRun().Input());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // namespace only
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
}

TEST(HtmlReportTest, HeadlineNumbersMatchTheInput) {
  const auto f = SmallRun();
  const ReportInput in = f.Input();
  ASSERT_EQ(in.summary.p99_ns, 2000);
  const std::string html = HtmlReport(in);
  EXPECT_NE(Card(html, "headline-tokens").find("<div class=\"value\">4</div>"), std::string::npos);
  const std::string p50 = Card(html, "headline-p50");
  EXPECT_NE(p50.find("data-value=\"1250\""), std::string::npos) << p50;
  EXPECT_NE(p50.find("<div class=\"value\">1.25 µs</div>"), std::string::npos) << p50;
  const std::string p99 = Card(html, "headline-p99");
  EXPECT_NE(p99.find("data-value=\"2000\""), std::string::npos) << p99;
  EXPECT_NE(p99.find("<div class=\"value\">2 µs</div>"), std::string::npos) << p99;
  // 4 tokens over 2.3 us.
  EXPECT_NE(
      Card(html, "headline-throughput").find("<div class=\"value\">1.739 M<span class=\"unit\">tokens/s</span></div>"),
      std::string::npos);
  EXPECT_NE(Card(html, "headline-golden").find(">PASS<"), std::string::npos);
  EXPECT_NE(Card(html, "headline-quant").find("cos ≥ 0.9912"), std::string::npos);
  // The CDF marks the same percentiles.
  EXPECT_NE(Svg(html, "latency-cdf").find("p99 2 µs"), std::string::npos);
  EXPECT_NE(html.find("2 × 2 torus, 4 chips"), std::string::npos);
  // Routing skew: layer 0 jobs 3, 1, 0, 4 (max/mean 2), layer 1 all 2 (1); expert chips 5, 4, 0.
  EXPECT_NE(html.find("<tr><th>routing skew (max/mean)</th><td>per expert 1.5 (mean of layers; hottest layer 2); 4 "
                      "expert groups (as EP ranks) 1.5 (hottest layer 2); expert chips 1.67</td></tr>"),
            std::string::npos);
  // MoE utilisation: 3 expert chips of 2 slots (64 x 128 experts), 5 + 4 + 0 jobs for 4 tokens
  // over 2.3 us at 1250 ps and 16 lanes: 9/4 of 6 slots used per token (37.5%), MAC lanes
  // 9 x 24576 / (6 x 3 x 16 x 1840) = 41.7%; chip 1 uses 5/4 of its 2 slots (62.5%).
  const auto at = html.find("<table id=\"moe-utilisation\">");
  ASSERT_NE(at, std::string::npos);
  const std::string table = html.substr(at, html.find("</table>", at) - at);
  EXPECT_NE(table.find("<tr><td>all</td>"), std::string::npos) << table;
  EXPECT_NE(table.find("<td>37.5%</td><td>41.7%</td><td>"), std::string::npos) << table;
  // The modelled area: 3 chips x 2 slots of one engine each; no density given: no mm².
  EXPECT_NE(table.find("<td>4.022 M</td><td>-</td></tr>"), std::string::npos) << table;
  EXPECT_NE(table.find("<td>chip 1 (" + in.options.skus[1].name + ")</td>"), std::string::npos) << table;
  EXPECT_NE(table.find("<td>62.5%</td>"), std::string::npos) << table;
}

TEST(HtmlReportTest, FailedGoldenCheckAndMissingQuantisationAreShown) {
  auto f = SmallRun();
  f.golden = GoldenCheck{true, false, 4, 1, 2};
  f.quant = QuantErrorSummary{};
  const std::string html = HtmlReport(f.Input());
  EXPECT_NE(Card(html, "headline-golden").find(">FAIL<"), std::string::npos);
  EXPECT_NE(Card(html, "headline-golden").find("first: token 2"), std::string::npos);
  EXPECT_NE(Card(html, "headline-quant").find("no float reference"), std::string::npos);
}

TEST(HtmlReportTest, PlotsShowTheRecords) {
  const std::string html = HtmlReport(SmallRun().Input());
  const std::string links = Svg(html, "link-heatmap");
  EXPECT_EQ(Count(links, "class=\"node\""), 4u);
  EXPECT_NE(links.find("link 0 → 1 (+x): utilisation 50%, 4096 bytes, 4 packets"), std::string::npos);
  EXPECT_NE(links.find("link 1 → 3 (+y): utilisation 10%"), std::string::npos);
  EXPECT_NE(links.find("link 3 → 2 (-x): no traffic"), std::string::npos);
  // 2x2 torus: 16 directed links, each with a tooltip on its arrowhead.
  EXPECT_EQ(Count(links, "<path"), 16u);
  const std::string experts = Svg(html, "expert-load");
  EXPECT_EQ(Count(experts, "class=\"cell\""), 8u);
  EXPECT_NE(experts.find("layer 0, expert 3: 4 jobs (50% of the layer)"), std::string::npos);
  const std::string chips = Svg(html, "chip-load");
  EXPECT_EQ(Count(chips, "class=\"bar\""), 4u);
  EXPECT_NE(chips.find("node 1 (exp-e1, expert): busy 50%, 5 jobs"), std::string::npos);
  const std::string breakdown = Svg(html, "latency-breakdown");
  EXPECT_NE(breakdown.find("expert phase: 950 ns"), std::string::npos);  // (600+800+1000+1400)/4
  EXPECT_NE(breakdown.find("mean token latency (all layers) = 1.438 µs"), std::string::npos);
  const std::string tput = Svg(html, "throughput");
  EXPECT_NE(tput.find("whole run 1.739 M tokens/s"), std::string::npos);
}

TEST(HtmlReportTest, StableBytesAndNoNonFiniteNumbers) {
  const auto f = SmallRun();
  const std::string html = HtmlReport(f.Input());
  EXPECT_EQ(html, HtmlReport(f.Input()));
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find("inf\""), std::string::npos);
}

TEST(HtmlReportTest, EmptyRunStillRenders) {
  auto f = SmallRun();
  f.merged = RankReport{};
  const std::string html = HtmlReport(f.Input());
  EXPECT_EQ(TagBalanceError(html), "");
  for (const char* id : kHtmlPlotIds) EXPECT_FALSE(Svg(html, id).empty()) << id;
  EXPECT_NE(html.find("no tokens finished"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
}

struct Shape {
  std::vector<uint32_t> dims;
};

class HtmlShapeTest : public ::testing::TestWithParam<Shape> {};

TEST_P(HtmlShapeTest, EveryTorusShapeDrawsEveryNodeAndLink) {
  const auto& dims = GetParam().dims;
  const auto f = SyntheticRun(dims, 300, 4, 8, 11);
  const std::string html = HtmlReport(f.Input());
  EXPECT_EQ(TagBalanceError(html), "");
  const fabric::Torus torus = fabric::Torus::Make(dims);
  const std::string links = Svg(html, "link-heatmap");
  EXPECT_EQ(Count(links, "class=\"node\""), torus.num_nodes());
  size_t planar = 0, vertical = 0;
  for (NodeId n = 0; n < torus.num_nodes(); ++n)
    for (fabric::PortId p = 0; p < torus.num_ports(); ++p)
      if (torus.HasLink(n, p)) ++(p < 4 ? planar : vertical);
  EXPECT_EQ(Count(links, "<path"), planar);              // one arrowhead per x/y link
  EXPECT_EQ(Count(links, "class=\"zlink\""), vertical);  // one mark per z link
  EXPECT_EQ(Count(links, "class=\"plane\""), dims.size() > 2 ? dims[2] : 1u);
  EXPECT_EQ(Count(Svg(html, "chip-load"), "class=\"bar\""), torus.num_nodes());
  EXPECT_EQ(Count(Svg(html, "expert-load"), "class=\"cell\""), 4u * 9u);  // 8 routed + 1 shared
  EXPECT_EQ(html.find("nan"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Shapes, HtmlShapeTest,
                         ::testing::Values(Shape{{5}}, Shape{{2}}, Shape{{3, 4}}, Shape{{8, 8}}, Shape{{2, 3, 2}},
                                           Shape{{4, 4, 4}}, Shape{{1, 4}}));

// Not a check: writes sample outputs for scripts/check_report_html.sh and for people to look
// at, when MOEFAB_REPORTS_SAMPLE_DIR names a directory.
TEST(HtmlReportSample, WritesEveryOutputForSampleRuns) {
  // Samples go to $MOEFAB_REPORTS_SAMPLE_DIR (to look at them) or a temporary folder.
  const char* dir = std::getenv("MOEFAB_REPORTS_SAMPLE_DIR");
  const std::filesystem::path root = (dir != nullptr && *dir != '\0')
                                         ? std::filesystem::path(dir)
                                         : std::filesystem::temp_directory_path() / "moefab_report_samples";
  const struct {
    const char* name;
    testing_reports::RunFixture run;
  } samples[] = {{"small", SmallRun()},
                 {"2d", SyntheticRun({4, 4}, 600, 8, 16, 7)},
                 {"3d", SyntheticRun({4, 4, 2}, 600, 8, 32, 9)},
                 {"1d", SyntheticRun({8}, 200, 4, 8, 5)}};
  for (const auto& s : samples) {
    const ReportInput in = s.run.Input();
    WriteHtmlReport((root / s.name).string(), in);
    WriteCsvReports((root / s.name).string(), in);
    WriteChromeTrace((root / s.name).string(), in);
    for (const char* f : {"report.html", "tokens.csv", "links.csv", "chips.csv", "experts.csv", "trace.json"})
      EXPECT_GT(std::filesystem::file_size(root / s.name / f), 0u) << s.name << "/" << f;
  }
}

}  // namespace
}  // namespace moefab
