// report.html plots: latency CDF, latency breakdown, expert load, chip load, throughput.
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "runtime/reports/html_plots.h"
#include "runtime/reports/svg.h"

namespace moefab::report_svg {
// ---------------------------------------------------------------------------------------
// Plots

std::string LatencyCdf(const ReportInput& in) {
  Svg s("latency-cdf", 560, 350, "Latency CDF");
  const Frame fr{64, 36, 540, 290};
  const std::vector<Tick> lat = SortedLatenciesPs(in.merged);
  if (lat.empty()) {
    s.Text(280, 170, "no tokens finished", "middle", "class=\"empty\"");
    s.Rect(fr.left, fr.top, fr.w(), fr.h(), "none", "stroke=\"#d1d5db\"");
    return s.Finish();
  }
  const double max_ns = static_cast<double>(lat.back()) / 1000;
  const TimeUnit unit = PickUnit(max_ns);
  const double lo = static_cast<double>(lat.front()) / 1000 / unit.ns;
  const double hi = max_ns / unit.ns;
  const Axis xa = NiceAxis(lo - (hi - lo) * 0.04, hi, 6);
  const Axis ya = NiceAxis(0, 1, 5);
  const Linear x{xa.lo, xa.hi, fr.left, fr.right}, y{0, 1, fr.bottom, fr.top};
  DrawAxes(s, fr, xa, x, ya, y, "latency (" + std::string(unit.name) + ")", "tokens finished within", PercentLabel);
  // Step curve; at most ~2000 ranks drawn (evenly spaced, always the last).
  const size_t n = lat.size();
  const size_t stride = std::max<size_t>(1, n / 2000);
  std::string d = "M" + F(x(xa.lo)) + "," + F(y(0));
  for (size_t i = 0; i < n; i += stride) {
    const size_t r = std::min(n - 1, i + stride - 1);  // highest rank of this group
    const double vx = x(static_cast<double>(lat[r]) / 1000 / unit.ns);
    d += " H" + F(vx) + " V" + F(y(static_cast<double>(r + 1) / static_cast<double>(n)));
  }
  d += " H" + F(fr.right);
  s.Path(d, "#1f77b4", 2, "none", "class=\"cdf\"");
  // Percentile markers.
  struct Mark {
    const char* name;
    double ns;
    const char* colour;
  };
  const Mark marks[] = {{"p50", in.summary.p50_ns, "#2ca02c"},
                        {"p90", in.summary.p90_ns, "#ff7f0e"},
                        {"p99", in.summary.p99_ns, "#d62728"}};
  double legend_x = fr.left;
  for (const auto& m : marks) {
    const double mx = x(m.ns / unit.ns);
    s.Line(mx, fr.top, mx, fr.bottom, m.colour, 1.5, "stroke-dasharray=\"5,4\"",
           std::string(m.name) + " = " + rf::HumanNs(m.ns));
    legend_x = LegendItem(s, legend_x, 18, m.colour, std::string(m.name) + " " + rf::HumanNs(m.ns));
  }
  s.Text(fr.right, fr.bottom - 8, std::to_string(n) + " tokens", "end", "class=\"note\"");
  return s.Finish();
}

struct Part {
  std::string name;
  double ns;
  const char* colour;
};

// One 100% stacked bar with its legend; returns the y below it.
double StackedBar(Svg& s, double y, const std::string& title, const std::vector<Part>& parts) {
  double total = 0;
  for (const auto& p : parts) total += p.ns;
  const double left = 24, width = 640, bar_h = 34;
  s.Text(left, y, title + " = " + rf::HumanNs(total), "start", "class=\"row-title\"");
  y += 10;
  double x = left;
  for (const auto& p : parts) {
    const double w = total > 0 ? width * p.ns / total : 0;
    const std::string tip = p.name + ": " + rf::HumanNs(p.ns) + " (" + Percent(total > 0 ? p.ns / total : 0) + ")";
    s.Rect(x, y, w, bar_h, p.colour, "stroke=\"#ffffff\" stroke-width=\"1\"", tip);
    if (w > 42) s.Text(x + w / 2, y + bar_h / 2 + 4, Percent(p.ns / total), "middle", "class=\"on-bar\"");
    x += w;
  }
  if (total <= 0) s.Rect(left, y, width, bar_h, "none", "stroke=\"#d1d5db\"", "no time recorded");
  y += bar_h + 22;
  double lx = left;
  for (const auto& p : parts) {
    const std::string text = p.name + " " + rf::HumanNs(p.ns);
    if (lx + 6.6 * static_cast<double>(text.size()) + 35 > left + width + 40) {
      lx = left;
      y += 20;
    }
    lx = LegendItem(s, lx, y, p.colour, text);
  }
  return y + 34;
}

std::string LatencyBreakdown(const ReportInput& in) {
  const BreakdownNs b = MeanBreakdownNs(in.merged);
  const JobTotals& jt = in.merged.job_totals;
  const double jobs = static_cast<double>(std::max<uint64_t>(jt.jobs, 1));
  auto per_job = [jobs](Tick ps) { return static_cast<double>(ps) / 1000 / jobs; };
  const std::vector<Part> token_parts = {{"attention core queue", b.core_queue_ns, "#59a14f"},
                                         {"attention", b.attention_ns, "#4e79a7"},
                                         {"gate + top-k", b.gate_ns, "#f28e2b"},
                                         {"expert phase", b.expert_phase_ns, "#e15759"},
                                         {"combine", b.combine_ns, "#76b7b2"}};
  const std::vector<Part> job_parts = {{"dispatch network", per_job(jt.dispatch_network_ps), "#4e79a7"},
                                       {"held at ejection", per_job(jt.blocked_ps), "#b07aa1"},
                                       {"ingress queue", per_job(jt.ingress_wait_ps), "#ff9da7"},
                                       {"compute", per_job(jt.compute_ps), "#e15759"},
                                       {"egress", per_job(jt.egress_wait_ps), "#edc948"},
                                       {"return network", per_job(jt.return_network_ps), "#76b7b2"}};
  Svg s("latency-breakdown", 720, 0, "Mean latency breakdown");
  double y = 24;
  y = StackedBar(s, y, "mean token latency (all layers)", token_parts);
  if (jt.jobs) {
    y = StackedBar(s, y, "mean expert job, dispatch to result back (" + std::to_string(jt.jobs) + " jobs)", job_parts);
  }
  s.set_height(y - 14);
  return s.Finish();
}

// Expert load ------------------------------------------------------------------------------

// Smallest of 1, 2, 5, 10, 20, 50, ... that is >= v.
uint32_t RoundStride(double v) {
  for (uint32_t p = 1;; p *= 10)
    for (uint32_t m : {1u, 2u, 5u})
      if (m * p >= v) return m * p;
}

std::string ExpertLoad(const ReportInput& in) {
  const auto& m = in.options.model;
  const uint32_t layers = m.num_layers, routed = m.num_experts, experts = m.experts_per_layer();
  if (layers == 0 || experts == 0) {
    Svg s("expert-load", 560, 80, "Expert load");
    s.Text(280, 40, "no experts in this model", "middle", "class=\"empty\"");
    return s.Finish();
  }
  const double cw = std::clamp(760.0 / experts, 3.0, 34.0);
  const double ch = std::clamp(360.0 / layers, 6.0, 26.0);
  const double gap = experts > routed ? 8 : 0;  // between routed and shared columns
  const double left = 56, top = 40;
  auto col_x = [&](uint32_t e) { return left + e * cw + (e >= routed ? gap : 0); };
  const double right_col = col_x(experts) + 14;
  const double width = std::max(640.0, right_col + 110);
  Svg s("expert-load", width, top + layers * ch + 96, "Expert load heat map");
  // The colour scale spans the routed experts; shared ones see every token and would wash
  // the scale out, so they get a flat colour and their count in the tooltip.
  uint64_t max_jobs = 0;
  for (uint32_t l = 0; l < layers; ++l)
    for (uint32_t e = 0; e < routed; ++e) max_jobs = std::max(max_jobs, ExpertJobs(in, l, e));
  const Axis scale = NiceAxis(0, max_jobs ? static_cast<double>(max_jobs) : 1, 5);
  const uint32_t label_every = RoundStride(18 / cw);
  for (uint32_t e = 0; e < experts; e += label_every)
    s.Text(col_x(e) + cw / 2, top - 8, std::to_string(e), "middle", "class=\"tick\"");
  s.Text(left, top - 24, "expert →", "start", "class=\"note\"");
  if (routed) s.Text(right_col, top - 8, "max / mean", "start", "class=\"note\"");
  const uint32_t row_label_every = RoundStride(12 / ch);
  constexpr const char* kSharedFill = "#94a3b8";
  for (uint32_t l = 0; l < layers; ++l) {
    const double y = top + l * ch;
    if (l % row_label_every == 0) s.Text(left - 8, y + ch / 2 + 4, "L" + std::to_string(l), "end", "class=\"tick\"");
    uint64_t sum = 0, routed_sum = 0, routed_max = 0;
    for (uint32_t e = 0; e < experts; ++e) {
      const uint64_t jobs = ExpertJobs(in, l, e);
      sum += jobs;
      if (e < routed) {
        routed_sum += jobs;
        routed_max = std::max(routed_max, jobs);
      }
    }
    for (uint32_t e = 0; e < experts; ++e) {
      const uint64_t jobs = ExpertJobs(in, l, e);
      const bool shared = e >= routed;
      const std::string tip = "layer " + std::to_string(l) + ", expert " + std::to_string(e) +
                              (shared ? " (shared)" : "") + ": " + std::to_string(jobs) + " jobs (" +
                              Percent(sum ? static_cast<double>(jobs) / static_cast<double>(sum) : 0) +
                              " of the layer)";
      const std::string fill = shared ? kSharedFill
                               : jobs ? Heat((static_cast<double>(jobs) - scale.lo) / (scale.hi - scale.lo))
                                      : "#f3f4f6";
      s.Rect(col_x(e), y, cw, ch, fill,
             cw >= 6 && ch >= 6 ? "class=\"cell\" stroke=\"#ffffff\" stroke-width=\"0.5\"" : "class=\"cell\"", tip);
    }
    const double mean = routed ? static_cast<double>(routed_sum) / routed : 0;
    if (routed && l % row_label_every == 0)
      s.Text(right_col, y + ch / 2 + 4,
             mean > 0 ? rf::Significant(static_cast<double>(routed_max) / mean, 3) + "×" : "–", "start",
             "class=\"tick\"");
  }
  const double ly = top + layers * ch + 44;
  ColourBar(s, left, ly, 260, scale, "jobs per routed expert");
  double lx = left + 300;
  lx = LegendItem(s, lx, ly + 12, "#f3f4f6", "no jobs", "#d1d5db");
  if (experts > routed) LegendItem(s, lx, ly + 12, kSharedFill, "shared expert (every token)");
  return s.Finish();
}

// Chip load --------------------------------------------------------------------------------

std::string ChipLoad(const ReportInput& in) {
  const auto& chips = in.merged.chips;
  const double bar_w = std::clamp(900.0 / static_cast<double>(std::max<size_t>(chips.size(), 1)), 2.0, 40.0);
  const double width = std::max(560.0, 84 + bar_w * static_cast<double>(chips.size()) + 20);
  Svg s("chip-load", width, 340, "Chip load");
  const Frame fr{64, 44, width - 20, 280};
  double max_busy = 0;
  for (const auto& c : chips) max_busy = std::max(max_busy, ChipBusyFraction(c, in.summary));
  const Axis ya = NiceAxis(0, std::max(1.0, max_busy), 5);
  const Linear y{ya.lo, ya.hi, fr.bottom, fr.top};
  s.Raw("<g class=\"axes\">\n");
  for (double t : ya.ticks) {
    s.Line(fr.left, y(t), fr.right, y(t), "#e5e7eb", 1);
    s.Text(fr.left - 6, y(t) + 4, PercentLabel(t, ya.step), "end", "class=\"tick\"");
  }
  s.Line(fr.left, fr.bottom, fr.right, fr.bottom, "#374151", 1);
  s.Line(fr.left, fr.top, fr.left, fr.bottom, "#374151", 1);
  s.Text((fr.left + fr.right) / 2, fr.bottom + 38, "chip (torus node)", "middle", "class=\"axis-title\"");
  s.Text(16, (fr.top + fr.bottom) / 2, "busy fraction", "middle",
         "class=\"axis-title\" transform=\"rotate(-90 16 " + F((fr.top + fr.bottom) / 2) + ")\"");
  s.Raw("</g>\n");
  if (chips.empty()) s.Text((fr.left + fr.right) / 2, 160, "no chips", "middle", "class=\"empty\"");
  const double slot = fr.w() / static_cast<double>(std::max<size_t>(chips.size(), 1));
  const size_t label_every = slot >= 22 ? 1 : static_cast<size_t>(std::ceil(22 / slot));
  for (size_t i = 0; i < chips.size(); ++i) {
    const ChipRecord& c = chips[i];
    const bool known = c.sku < in.options.skus.size();
    const bool attention = known && in.options.skus[c.sku].kind == ChipKind::kAttention;
    const double busy = ChipBusyFraction(c, in.summary);
    const double x = fr.left + slot * static_cast<double>(i);
    std::string tip = "node " + std::to_string(c.node) + " (" + (known ? in.options.skus[c.sku].name : "?") + ", " +
                      (attention ? "attention" : "expert") + "): busy " + Percent(busy);
    if (!attention)
      tip += ", " + std::to_string(c.jobs) + " jobs, " + std::to_string(c.slots) + " slots, mean active slots " +
             rf::Significant(ChipMeanActiveSlots(c, in.summary), 3) + ", max ingress " + std::to_string(c.max_ingress);
    s.Rect(x + slot * 0.12, y(busy), slot * 0.76, fr.bottom - y(busy), attention ? kAttentionBar : kExpertBar,
           "class=\"bar\"", tip);
    if (i % label_every == 0) s.Text(x + slot / 2, fr.bottom + 16, std::to_string(c.node), "middle", "class=\"tick\"");
  }
  double lx = fr.left;
  lx = LegendItem(s, lx, 24, kAttentionBar, "attention chip (core busy)");
  LegendItem(s, lx, 24, kExpertBar, "expert chip (a job in a slot)");
  return s.Finish();
}

// Throughput -------------------------------------------------------------------------------

std::string Throughput(const ReportInput& in) {
  Svg s("throughput", 560, 350, "Throughput over simulated time");
  const Frame fr{72, 36, 540, 290};
  const size_t n = in.merged.tokens.size();
  const uint32_t num_bins =
      static_cast<uint32_t>(std::clamp<double>(2 * std::ceil(std::sqrt(static_cast<double>(n))), 1, 60));
  const std::vector<ThroughputBin> bins = ThroughputOverTime(in.merged, num_bins);
  if (bins.empty()) {
    s.Text(280, 170, "no tokens finished", "middle", "class=\"empty\"");
    s.Rect(fr.left, fr.top, fr.w(), fr.h(), "none", "stroke=\"#d1d5db\"");
    return s.Finish();
  }
  const Tick origin = bins.front().begin_ps;
  const double end_ns = static_cast<double>(bins.back().end_ps - origin) / 1000;
  const TimeUnit unit = PickUnit(end_ns);
  double max_rate = 0;
  for (const auto& b : bins) max_rate = std::max(max_rate, b.tokens_per_s);
  const Axis xa = NiceAxis(0, end_ns / unit.ns, 6);
  const Axis ya = NiceAxis(0, std::max(max_rate, in.summary.throughput_tokens_per_s), 5);
  const Linear x{xa.lo, xa.hi, fr.left, fr.right}, y{ya.lo, ya.hi, fr.bottom, fr.top};
  DrawAxes(s, fr, xa, x, ya, y, "simulated time since the first token started (" + std::string(unit.name) + ")",
           "tokens / s", SiLabel);
  for (const auto& b : bins) {
    const double x0 = x(static_cast<double>(b.begin_ps - origin) / 1000 / unit.ns);
    const double x1 = x(static_cast<double>(b.end_ps - origin) / 1000 / unit.ns);
    const std::string tip = rf::HumanNs(static_cast<double>(b.begin_ps - origin) / 1000) + " – " +
                            rf::HumanNs(static_cast<double>(b.end_ps - origin) / 1000) + ": " +
                            std::to_string(b.tokens) + " tokens finished, " + rf::HumanSi(b.tokens_per_s) + " tokens/s";
    s.Rect(x0 + 0.5, y(b.tokens_per_s), std::max(x1 - x0 - 1, 0.5), fr.bottom - y(b.tokens_per_s), "#59a14f",
           "class=\"bar\"", tip);
  }
  const double overall = in.summary.throughput_tokens_per_s;
  s.Line(fr.left, y(overall), fr.right, y(overall), "#111827", 1.5, "stroke-dasharray=\"6,4\"",
         "whole run: " + rf::HumanSi(overall) + " tokens/s");
  double lx = fr.left;
  lx = LegendItem(s, lx, 22, "#59a14f", "tokens finished per bin / bin width");
  s.Line(lx, 18, lx + 22, 18, "#111827", 1.5, "stroke-dasharray=\"6,4\"");
  s.Text(lx + 28, 22, "whole run " + rf::HumanSi(overall) + " tokens/s", "start", "class=\"legend\"");
  return s.Finish();
}

}  // namespace moefab::report_svg
