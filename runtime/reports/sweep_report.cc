#include "runtime/reports/sweep_report.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <numeric>

#include "runtime/reports/format.h"
#include "runtime/reports/svg.h"

namespace moefab {

namespace rf = report_format;
using report_svg::E;

std::vector<bool> ParetoFront(const std::vector<double>& cost, const std::vector<double>& value) {
  const size_t n = std::min(cost.size(), value.size());
  std::vector<bool> front(n, true);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n && front[i]; ++j)
      if (cost[j] <= cost[i] && value[j] >= value[i] && (cost[j] < cost[i] || value[j] > value[i])) front[i] = false;
  return front;
}

namespace {

constexpr const char* kCss = R"(
body { font-family: system-ui, sans-serif; margin: 24px; color: #111827; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.sub, p.caption { color: #6b7280; font-size: 13px; margin: 4px 0 12px; }
table { border-collapse: collapse; font-size: 13px; margin: 12px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e5e7eb; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.frontier td { font-weight: 600; }
svg text { font-size: 12px; fill: #374151; }
svg .tick { font-size: 11px; }
svg .axis-title { font-size: 12px; fill: #111827; }
svg .legend { font-size: 12px; }
svg .empty { font-size: 14px; fill: #9ca3af; }
)";

// The plane: every point, the frontier's points joined in order of area.
std::string FrontierPlot(const std::vector<SweepRow>& rows, const std::vector<bool>& front,
                         const std::vector<std::string>& labels) {
  using namespace report_svg;
  Svg s("frontier", 720, 400, "Modelled expert-chip area against simulated tokens per second");
  const Frame fr{84, 40, 600, 330};
  std::vector<size_t> shown;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].expert_mm2 > 0) shown.push_back(i);
  if (shown.empty()) {
    s.Text(320, 190, "no point has a modelled area (no etched expert chips)", "middle", "class=\"empty\"");
    return s.Finish();
  }
  double max_mm2 = 0, max_tps = 0;
  for (size_t i : shown) max_mm2 = std::max(max_mm2, rows[i].expert_mm2), max_tps = std::max(max_tps, rows[i].tokens_per_s);
  const Axis xa = NiceAxis(0, max_mm2, 6), ya = NiceAxis(0, max_tps, 5);
  const Linear x{xa.lo, xa.hi, fr.left, fr.right}, y{ya.lo, ya.hi, fr.bottom, fr.top};
  DrawAxes(s, fr, xa, x, ya, y, "expert chips' area, modelled (mm²)", "tokens / s (simulated)", SiLabel);
  std::vector<size_t> on;
  for (size_t i : shown)
    if (front[i]) on.push_back(i);
  std::sort(on.begin(), on.end(), [&](size_t a, size_t b) { return rows[a].expert_mm2 < rows[b].expert_mm2; });
  std::string d;
  for (size_t k = 0; k < on.size(); ++k)
    d += (k ? " L" : "M") + F(x(rows[on[k]].expert_mm2)) + "," + F(y(rows[on[k]].tokens_per_s));
  if (on.size() > 1) s.Path(d, "#e15759", 2, "none", "class=\"frontier-line\"");
  std::vector<std::pair<double, double>> labelled;  // where labels were drawn (left, baseline)
  for (size_t i : shown) {
    const std::string tip = rows[i].name + " (" + labels[i] + "): " + rf::Significant(rows[i].expert_mm2, 4) +
                            " mm², " + rf::HumanSi(rows[i].tokens_per_s) + " tokens/s" +
                            (front[i] ? ", on the frontier" : "");
    s.Circle(x(rows[i].expert_mm2), y(rows[i].tokens_per_s), front[i] ? 6 : 4.5, front[i] ? "#e15759" : "#9ca3af",
             front[i] ? "class=\"point on-frontier\"" : "class=\"point\"", tip);
    // A label only where it does not overlap one drawn before (every point keeps its tooltip).
    const double lx = x(rows[i].expert_mm2) + 8, ly = y(rows[i].tokens_per_s) - 6;
    const double lw = 6.2 * static_cast<double>(labels[i].size());
    bool clear = true;
    for (const auto& [ox, oy] : labelled) clear = clear && (std::abs(oy - ly) >= 13 || lx + lw < ox || ox + lw < lx);
    if (!clear) continue;
    labelled.emplace_back(lx, ly);
    s.Text(lx, ly, labels[i], "start", "class=\"tick\"");
  }
  double lx = fr.left;
  lx = LegendItem(s, lx, 22, "#e15759", "on the Pareto frontier (no point smaller and faster)");
  LegendItem(s, lx, 22, "#9ca3af", "dominated");
  return s.Finish();
}

}  // namespace

std::string SweepReportHtml(const std::string& title, const std::vector<std::string>& axes,
                            const std::vector<SweepRow>& rows) {
  std::vector<double> cost, value;
  std::vector<std::string> labels;
  for (const SweepRow& r : rows) {
    // A point without a modelled area cannot be placed on the plane: it is on no frontier.
    cost.push_back(r.expert_mm2 > 0 ? r.expert_mm2 : 1e300);
    value.push_back(r.expert_mm2 > 0 ? r.tokens_per_s : -1);
    std::string label;
    for (size_t a = 0; a < r.values.size(); ++a) label += (a ? ", " : "") + r.values[a];
    labels.push_back(label.empty() ? r.name : label);
  }
  std::vector<bool> front = ParetoFront(cost, value);
  for (size_t i = 0; i < rows.size(); ++i) front[i] = front[i] && rows[i].expert_mm2 > 0;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n";
  h += "<meta name=\"generator\" content=\"moefab\" />\n<title>moefab sweep: " + E(title) + "</title>\n";
  h += "<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n";
  h += "<h1>moefab sweep: " + E(title) + "</h1>\n<p class=\"sub\">" + std::to_string(rows.size()) +
       " points; swept: ";
  for (size_t a = 0; a < axes.size(); ++a) h += (a ? ", " : "") + E(axes[a]);
  h += "</p>\n<h2>Area against throughput</h2>\n<p class=\"caption\">Each point: its expert chips' area from the "
       "analytic area model (one engine per expert slot, calibrated on yosys fits; chips/area/area_model.h) "
       "against the simulated tokens per second. Red: the Pareto frontier, the points no other point beats on "
       "both area and throughput.</p>\n";
  h += FrontierPlot(rows, front, labels);
  h += "<table id=\"sweep-points\">\n<tr><th>point</th>";
  for (const auto& a : axes) h += "<th>" + E(a) + "</th>";
  h += "<th>tokens/s</th><th>p99</th><th>expert transistors</th><th>expert mm²</th><th>tokens/s per mm²</th>"
       "<th>golden</th><th>frontier</th></tr>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const SweepRow& r = rows[i];
    h += std::string("<tr") + (front[i] ? " class=\"frontier\"" : "") + "><td>" + E(r.name) + "</td>";
    for (const auto& v : r.values) h += "<td>" + E(v) + "</td>";
    h += "<td>" + rf::HumanSi(r.tokens_per_s) + "</td><td>" + E(rf::HumanNs(r.p99_ns)) + "</td><td>" +
         (r.expert_transistors > 0 ? rf::HumanSi(r.expert_transistors) : "-") + "</td><td>" +
         (r.expert_mm2 > 0 ? rf::Significant(r.expert_mm2, 4) : "-") + "</td><td>" +
         (r.expert_mm2 > 0 ? rf::Significant(r.tokens_per_s / r.expert_mm2, 4) : "-") + "</td><td>" + E(r.golden) +
         "</td><td>" +
         (front[i] ? "yes" : "") + "</td></tr>\n";
  }
  h += "</table>\n</body>\n</html>\n";
  return h;
}

}  // namespace moefab
