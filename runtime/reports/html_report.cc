// report.html: page layout, headline numbers and the SVG plots (see html_report.h).
// Plots are drawn in an SVG user space of fixed size and scale with the page via viewBox.
#include "runtime/reports/html_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "runtime/reports/format.h"

namespace moefab {

namespace {
namespace rf = report_format;

// ---------------------------------------------------------------------------------------
// Small drawing helpers

std::string F(double v) { return rf::Fixed(v, 1); }  // SVG coordinate
std::string E(std::string_view s) { return rf::HtmlEscape(s); }

struct Linear {  // maps [d0, d1] onto [r0, r1]
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  double operator()(double v) const {
    const double span = d1 - d0;
    return span == 0 ? r0 : r0 + (v - d0) / span * (r1 - r0);
  }
};

// 1, 2 or 5 times a power of ten, near range / target.
double NiceStep(double range, int target) {
  if (!(range > 0)) return 1;
  const double raw = range / target;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

struct Axis {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> ticks;
};

// Axis covering [lo, hi] with nice rounded ends and about `target` ticks.
Axis NiceAxis(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi - lo <= 0) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  Axis a;
  a.step = NiceStep(hi - lo, target);
  a.lo = std::floor(lo / a.step + 1e-9) * a.step;
  a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
  for (double t = a.lo; t <= a.hi + a.step * 1e-6; t += a.step)
    a.ticks.push_back(std::fabs(t) < a.step * 1e-9 ? 0 : t);
  return a;
}

std::string TickLabel(double v, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return rf::Fixed(v, decimals);
}

// A time unit for an axis whose largest value is `max_ns`.
struct TimeUnit {
  const char* name;
  double ns;
};
TimeUnit PickUnit(double max_ns) {
  if (max_ns >= 1e9) return {"s", 1e9};
  if (max_ns >= 1e6) return {"ms", 1e6};
  if (max_ns >= 1e3) return {"µs", 1e3};
  return {"ns", 1};
}

// Sequential "heat" palette (light yellow -> dark red), t in [0, 1].
std::string Heat(double t) {
  static constexpr std::array<std::array<int, 3>, 8> kStops = {{{255, 237, 160},
                                                                {254, 217, 118},
                                                                {254, 178, 76},
                                                                {253, 141, 60},
                                                                {252, 78, 42},
                                                                {227, 26, 28},
                                                                {189, 0, 38},
                                                                {128, 0, 38}}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * (kStops.size() - 1);
  const size_t i = std::min<size_t>(static_cast<size_t>(t), kStops.size() - 2);
  const double f = t - static_cast<double>(i);
  char buf[8];
  int c[3];
  for (int k = 0; k < 3; ++k)
    c[k] = static_cast<int>(std::lround(kStops[i][k] + f * (kStops[i + 1][k] - kStops[i][k])));
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c[0], c[1], c[2]);
  return buf;
}

constexpr const char* kNoTraffic = "#d1d5db";  // links and cells with nothing on them
constexpr const char* kAttentionFill = "#dbeafe", *kAttentionStroke = "#2563eb";
constexpr const char* kExpertFill = "#f1f5f9", *kExpertStroke = "#475569";
constexpr const char* kAttentionBar = "#4e79a7", *kExpertBar = "#f28e2b";

// An <svg> under construction; every element carries a stable class for styling and tests.
class Svg {
 public:
  Svg(std::string id, double width, double height, std::string label)
      : id_(std::move(id)), label_(std::move(label)), width_(width), height_(height) {}
  double width() const { return width_; }
  double height() const { return height_; }
  void set_height(double height) { height_ = height; }

  void Rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& extra = "", const std::string& tooltip = "") {
    out_ += "<rect x=\"" + F(x) + "\" y=\"" + F(y) + "\" width=\"" + F(std::max(w, 0.0)) +
            "\" height=\"" + F(std::max(h, 0.0)) + "\" fill=\"" + fill + "\"" + Extra(extra);
    Close("rect", tooltip);
  }
  void Line(double x1, double y1, double x2, double y2, const std::string& stroke,
            double stroke_width, const std::string& extra = "",
            const std::string& tooltip = "") {
    out_ += "<line x1=\"" + F(x1) + "\" y1=\"" + F(y1) + "\" x2=\"" + F(x2) + "\" y2=\"" +
            F(y2) + "\" stroke=\"" + stroke + "\" stroke-width=\"" + F(stroke_width) + "\"" +
            Extra(extra);
    Close("line", tooltip);
  }
  void Path(const std::string& d, const std::string& stroke, double stroke_width,
            const std::string& fill, const std::string& extra = "",
            const std::string& tooltip = "") {
    out_ += "<path d=\"" + d + "\" stroke=\"" + stroke + "\" stroke-width=\"" +
            F(stroke_width) + "\" fill=\"" + fill + "\"" + Extra(extra);
    Close("path", tooltip);
  }
  void Circle(double cx, double cy, double r, const std::string& fill,
              const std::string& extra = "", const std::string& tooltip = "") {
    out_ += "<circle cx=\"" + F(cx) + "\" cy=\"" + F(cy) + "\" r=\"" + F(r) + "\" fill=\"" +
            fill + "\"" + Extra(extra);
    Close("circle", tooltip);
  }
  // anchor: start | middle | end.
  void Text(double x, double y, const std::string& text, const std::string& anchor = "start",
            const std::string& extra = "") {
    out_ += "<text x=\"" + F(x) + "\" y=\"" + F(y) + "\" text-anchor=\"" + anchor + "\"" +
            Extra(extra) + ">" + E(text) + "</text>\n";
  }
  void Raw(const std::string& s) { out_ += s; }
  std::string Finish() const {
    return "<svg id=\"" + id_ + "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
           F(width_) + " " + F(height_) + "\" width=\"" + F(width_) + "\" height=\"" +
           F(height_) + "\" role=\"img\" aria-label=\"" + E(label_) + "\">\n" + out_ +
           "</svg>\n";
  }

  // A filled arrowhead at (x, y) pointing along (ux, uy) (unit vector).
  void Arrowhead(double x, double y, double ux, double uy, double size, const std::string& fill,
                 const std::string& tooltip = "") {
    const double bx = x - ux * size, by = y - uy * size;
    const double nx = -uy * size * 0.55, ny = ux * size * 0.55;
    Path("M" + F(x) + "," + F(y) + " L" + F(bx + nx) + "," + F(by + ny) + " L" + F(bx - nx) +
             "," + F(by - ny) + " Z",
         "none", 0, fill, "", tooltip);
  }

 private:
  static std::string Extra(const std::string& extra) { return extra.empty() ? "" : " " + extra; }
  void Close(const char* tag, const std::string& tooltip) {
    if (tooltip.empty()) {
      out_ += "/>\n";
    } else {
      out_ += "><title>" + E(tooltip) + "</title></" + tag + ">\n";
    }
  }

  std::string id_, label_;  // element id, accessible name
  std::string out_;         // the elements so far
  double width_, height_;   // user units
};

// Plot frame: margins around a data area.
struct Frame {
  double left, top, right, bottom;  // data area edges in user units
  double w() const { return right - left; }
  double h() const { return bottom - top; }
};

// Grid lines, ticks, tick labels and axis titles for an x/y plot.
void DrawAxes(Svg& s, const Frame& fr, const Axis& xa, const Linear& x, const Axis& ya,
              const Linear& y, const std::string& x_title, const std::string& y_title,
              std::string (*y_label)(double v, double step) = TickLabel) {
  s.Raw("<g class=\"axes\">\n");
  for (double t : ya.ticks) {
    s.Line(fr.left, y(t), fr.right, y(t), "#e5e7eb", 1);
    s.Text(fr.left - 6, y(t) + 4, y_label(t, ya.step), "end", "class=\"tick\"");
  }
  for (double t : xa.ticks) {
    s.Line(x(t), fr.top, x(t), fr.bottom, "#f0f1f3", 1);
    s.Line(x(t), fr.bottom, x(t), fr.bottom + 5, "#374151", 1);
    s.Text(x(t), fr.bottom + 18, TickLabel(t, xa.step), "middle", "class=\"tick\"");
  }
  s.Line(fr.left, fr.bottom, fr.right, fr.bottom, "#374151", 1);
  s.Line(fr.left, fr.top, fr.left, fr.bottom, "#374151", 1);
  s.Text((fr.left + fr.right) / 2, fr.bottom + 38, x_title, "middle", "class=\"axis-title\"");
  s.Text(16, (fr.top + fr.bottom) / 2, y_title, "middle",
         "class=\"axis-title\" transform=\"rotate(-90 16 " + F((fr.top + fr.bottom) / 2) + ")\"");
  s.Raw("</g>\n");
}

std::string PercentLabel(double v, double step) { return TickLabel(v * 100, step * 100) + "%"; }
std::string SiLabel(double v, double /*step*/) { return rf::HumanSi(v); }

// Horizontal colour bar with ticks for values in [0, max] mapped through Heat(v / max).
void ColourBar(Svg& s, double x, double y, double w, const Axis& axis, const std::string& title,
               std::string (*label)(double v, double step) = TickLabel) {
  s.Raw("<g class=\"colour-scale\">\n");
  const int steps = 48;
  for (int i = 0; i < steps; ++i) {
    s.Rect(x + w * i / steps, y, w / steps + 0.6, 12, Heat((i + 0.5) / steps));
  }
  s.Rect(x, y, w, 12, "none", "stroke=\"#6b7280\" stroke-width=\"0.8\"");
  for (double t : axis.ticks) {
    const double tx = x + w * (t - axis.lo) / (axis.hi - axis.lo);
    s.Line(tx, y + 12, tx, y + 16, "#374151", 1);
    s.Text(tx, y + 28, label(t, axis.step), "middle", "class=\"tick\"");
  }
  s.Text(x, y - 6, title, "start", "class=\"legend\"");
  s.Raw("</g>\n");
}

// A legend entry: coloured swatch and text; returns the x after it.
double LegendItem(Svg& s, double x, double y, const std::string& colour,
                  const std::string& text, const std::string& stroke = "") {
  s.Rect(x, y - 10, 12, 12, colour,
         stroke.empty() ? "rx=\"2\"" : "rx=\"2\" stroke=\"" + stroke + "\" stroke-width=\"1.2\"");
  s.Text(x + 17, y, text, "start", "class=\"legend\"");
  return x + 17 + 6.6 * static_cast<double>(text.size()) + 18;
}

std::string Percent(double fraction) { return rf::Significant(fraction * 100, 3) + "%"; }

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
  DrawAxes(s, fr, xa, x, ya, y, "latency (" + std::string(unit.name) + ")",
           "tokens finished within", PercentLabel);
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
    legend_x = LegendItem(s, legend_x, 18, m.colour,
                          std::string(m.name) + " " + rf::HumanNs(m.ns));
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
    const std::string tip =
        p.name + ": " + rf::HumanNs(p.ns) + " (" + Percent(total > 0 ? p.ns / total : 0) + ")";
    s.Rect(x, y, w, bar_h, p.colour, "stroke=\"#ffffff\" stroke-width=\"1\"", tip);
    if (w > 42)
      s.Text(x + w / 2, y + bar_h / 2 + 4, Percent(p.ns / total), "middle", "class=\"on-bar\"");
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
  const std::vector<Part> job_parts = {
      {"dispatch network", per_job(jt.dispatch_network_ps), "#4e79a7"},
      {"held at ejection", per_job(jt.blocked_ps), "#b07aa1"},
      {"ingress queue", per_job(jt.ingress_wait_ps), "#ff9da7"},
      {"compute", per_job(jt.compute_ps), "#e15759"},
      {"egress", per_job(jt.egress_wait_ps), "#edc948"},
      {"return network", per_job(jt.return_network_ps), "#76b7b2"}};
  Svg s("latency-breakdown", 720, 0, "Mean latency breakdown");
  double y = 24;
  y = StackedBar(s, y, "mean token latency (all layers)", token_parts);
  if (jt.jobs) {
    y = StackedBar(s, y, "mean expert job, dispatch to result back (" + std::to_string(jt.jobs) +
                             " jobs)",
                   job_parts);
  }
  s.set_height(y - 14);
  return s.Finish();
}

// Link heat map ----------------------------------------------------------------------------

std::string LinkHeatmap(const ReportInput& in) {
  const fabric::Torus torus = TorusOf(in.options);
  const auto& dims = torus.dims();
  const uint32_t kx = dims[0], ky = dims.size() > 1 ? dims[1] : 1, kz = dims.size() > 2 ? dims[2] : 1;
  const uint32_t longest = std::max(kx, ky);
  // Planes side by side (2 or 3 per row) within about 1200 user units; node spacing follows.
  const uint32_t per_row = kz == 1 ? 1 : std::min(kz, longest <= 4 ? 3u : 2u);
  const double sp = std::clamp((1200.0 / per_row - 60) / (longest + 0.7), 44.0, 120.0);
  const double box = std::min(40.0, sp * 0.46);                // node box side
  const double stub = sp * 0.32;                               // wrap-around stub length
  const double plane_w = kx * sp + 2 * stub + 24, plane_h = ky * sp + 2 * stub + 30;
  const uint32_t rows = (kz + per_row - 1) / per_row;
  const double width = std::max(820.0, per_row * plane_w + 40);
  const double legend_h = 110;
  Svg s("link-heatmap", width, rows * plane_h + legend_h + 10, "Link utilisation heat map");

  // Records by dense link index; links absent from the report carried nothing.
  std::map<uint32_t, const LinkRecord*> by_index;
  for (const auto& l : in.merged.links) by_index[l.index] = &l;
  double max_util = 0;
  for (const auto& l : in.merged.links) max_util = std::max(max_util, LinkUtilisation(l, in.summary));
  const Axis scale = NiceAxis(0, max_util > 0 ? max_util : 1, 5);
  std::map<NodeId, const ChipRecord*> chip_of;
  for (const auto& c : in.merged.chips) chip_of[c.node] = &c;

  auto link_info = [&](NodeId node, fabric::PortId port, std::string& colour,
                       std::string& tip) {
    const auto it = by_index.find(torus.LinkIndex(node, port));
    // The far end as wired (twisted and OCS links differ from the grid neighbour).
    const NodeId to = it != by_index.end() ? it->second->to : torus.Neighbor(node, port);
    tip = "link " + std::to_string(node) + " → " + std::to_string(to) + " (" + PortName(port) +
          ")";
    if (it == by_index.end() || it->second->bytes == 0) {
      colour = kNoTraffic;
      tip += ": no traffic";
      return false;
    }
    const LinkRecord& l = *it->second;
    const double u = LinkUtilisation(l, in.summary);
    colour = Heat((u - scale.lo) / (scale.hi - scale.lo));
    tip += ": utilisation " + Percent(u) + ", " + std::to_string(l.bytes) + " bytes, " +
           std::to_string(l.packets) + " packets, peak " + std::to_string(l.peak_waiting_packets) +
           " packets waiting, peak far-end buffer " + std::to_string(l.peak_buffer_flits) + " flits";
    return true;
  };

  for (uint32_t z = 0; z < kz; ++z) {
    const double ox = (width - per_row * plane_w) / 2 + (z % per_row) * plane_w;
    const double oy = 10 + (z / per_row) * plane_h;
    s.Raw("<g class=\"plane\" data-z=\"" + std::to_string(z) + "\">\n");
    if (kz > 1) s.Text(ox + plane_w / 2 - 12, oy + 14, "z = " + std::to_string(z), "middle",
                       "class=\"row-title\"");
    const double gx = ox + stub, gy = oy + 22 + stub;  // grid origin
    auto centre = [&](uint32_t x, uint32_t y) {
      return std::pair<double, double>{gx + (x + 0.5) * sp, gy + (y + 0.5) * sp};
    };
    // Links in x and y: drawn before the nodes so the boxes sit on top.
    for (uint32_t y = 0; y < ky; ++y) {
      for (uint32_t x = 0; x < kx; ++x) {
        const NodeId node = torus.Node({x, y, z});
        for (fabric::PortId port = 0; port < std::min<uint32_t>(4, torus.num_ports()); ++port) {
          if (!torus.HasLink(node, port)) continue;
          std::string colour, tip;
          const bool used = link_info(node, port, colour, tip);
          const uint32_t dim = port / 2;
          const double dir = port % 2 == 0 ? 1 : -1;
          const double ux = dim == 0 ? dir : 0, uy = dim == 1 ? dir : 0;
          const double nx = -uy * 5.5, ny = ux * 5.5;  // keep right of the direction of travel
          const uint32_t k = dim == 0 ? kx : ky, c = dim == 0 ? x : y;
          const bool wraps = (dir > 0 && c == k - 1) || (dir < 0 && c == 0);
          const double w = used ? 4 : 2;
          const std::string style = std::string("class=\"link\" stroke-linecap=\"round\"") +
                                    (wraps ? " stroke-dasharray=\"6,3\"" : "");
          const auto [ax, ay] = centre(x, y);
          const double edge = box / 2 + 4;
          if (!wraps) {
            const NodeId to = torus.Neighbor(node, port);
            const auto tc = torus.Coord(to);
            const auto [bx, by] = centre(tc[0], tc[1]);
            const double x1 = ax + ux * edge + nx, y1 = ay + uy * edge + ny;
            const double x2 = bx - ux * (edge + 3) + nx, y2 = by - uy * (edge + 3) + ny;
            s.Line(x1, y1, x2, y2, colour, w, style, tip);
            s.Arrowhead(bx - ux * edge + nx, by - uy * edge + ny, ux, uy, 7, colour, tip);
          } else {
            // Leaves past the grid edge and comes back in on the opposite side.
            const NodeId to = torus.Neighbor(node, port);
            const auto tc = torus.Coord(to);
            const auto [bx, by] = centre(tc[0], tc[1]);
            s.Line(ax + ux * edge + nx, ay + uy * edge + ny, ax + ux * (edge + stub) + nx,
                   ay + uy * (edge + stub) + ny, colour, w, style, tip);
            s.Line(bx - ux * (edge + stub) + nx, by - uy * (edge + stub) + ny,
                   bx - ux * (edge + 3) + nx, by - uy * (edge + 3) + ny, colour, w, style, tip);
            s.Arrowhead(bx - ux * edge + nx, by - uy * edge + ny, ux, uy, 7, colour, tip);
          }
        }
      }
    }
    // Nodes, with z links (3D) as two marks inside the box.
    for (uint32_t y = 0; y < ky; ++y) {
      for (uint32_t x = 0; x < kx; ++x) {
        const NodeId node = torus.Node({x, y, z});
        const auto [cx, cy] = centre(x, y);
        const bool attention = node < in.options.num_nodes() &&
                               in.options.SkuOf(node).kind == ChipKind::kAttention;
        std::string tip = "node " + std::to_string(node) + " (x=" + std::to_string(x) +
                          ", y=" + std::to_string(y) + (kz > 1 ? ", z=" + std::to_string(z) : "") +
                          ")";
        if (node < in.options.num_nodes())
          tip += ": " + in.options.SkuOf(node).name + ", " +
                 ChipKindName(in.options.SkuOf(node).kind);
        if (const auto it = chip_of.find(node); it != chip_of.end())
          tip += ", busy " + Percent(ChipBusyFraction(*it->second, in.summary));
        s.Rect(cx - box / 2, cy - box / 2, box, box, attention ? kAttentionFill : kExpertFill,
               std::string("class=\"node\" rx=\"4\" stroke-width=\"1.5\" stroke=\"") +
                   (attention ? kAttentionStroke : kExpertStroke) + "\"",
               tip);
        s.Text(cx, kz > 1 ? cy - 2 : cy + 4, std::to_string(node), "middle",
               "class=\"node-label\"");
        if (kz > 1) {
          for (fabric::PortId port = 4; port < 6; ++port) {
            if (!torus.HasLink(node, port)) continue;
            std::string colour, ztip;
            link_info(node, port, colour, ztip);
            const double mx = port == 4 ? cx + 1.5 : cx - box / 2 + 3.5;
            s.Rect(mx, cy + 4, box / 2 - 5, box / 2 - 7, colour,
                   "class=\"zlink\" stroke=\"#6b7280\" stroke-width=\"0.6\"", ztip);
          }
        }
      }
    }
    // Axis hints.
    s.Text(gx + kx * sp / 2, gy + ky * sp + stub + 4, "x →", "middle", "class=\"note\"");
    if (ky > 1) s.Text(gx - stub - 2, gy + ky * sp / 2, "y ↓", "end", "class=\"note\"");
    s.Raw("</g>\n");
  }
  // Legend: colour bar, node kinds, line styles.
  const double ly = rows * plane_h + 36;
  ColourBar(s, 24, ly, 260, scale, "link utilisation (busy time / makespan)", PercentLabel);
  double lx = 320;
  lx = LegendItem(s, lx, ly + 2, kAttentionFill, "attention chip", kAttentionStroke);
  LegendItem(s, lx, ly + 2, kExpertFill, "expert chip", kExpertStroke);
  s.Line(320, ly + 24, 344, ly + 24, "#6b7280", 3, "stroke-dasharray=\"6,3\"");
  s.Text(350, ly + 28, "wrap-around link (leaves one edge, enters the opposite one)", "start",
         "class=\"legend\"");
  s.Line(320, ly + 44, 344, ly + 44, kNoTraffic, 2);
  s.Text(350, ly + 48,
         kz > 1 ? "no traffic · lower squares in a node: left −z, right +z link"
                : "no traffic · each link keeps to the right of its direction",
         "start", "class=\"legend\"");
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
    if (l % row_label_every == 0)
      s.Text(left - 8, y + ch / 2 + 4, "L" + std::to_string(l), "end", "class=\"tick\"");
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
      const std::string tip =
          "layer " + std::to_string(l) + ", expert " + std::to_string(e) +
          (shared ? " (shared)" : "") + ": " + std::to_string(jobs) + " jobs (" +
          Percent(sum ? static_cast<double>(jobs) / static_cast<double>(sum) : 0) +
          " of the layer)";
      const std::string fill =
          shared ? kSharedFill
          : jobs ? Heat((static_cast<double>(jobs) - scale.lo) / (scale.hi - scale.lo))
                 : "#f3f4f6";
      s.Rect(col_x(e), y, cw, ch, fill,
             cw >= 6 && ch >= 6 ? "class=\"cell\" stroke=\"#ffffff\" stroke-width=\"0.5\""
                                : "class=\"cell\"",
             tip);
    }
    const double mean = routed ? static_cast<double>(routed_sum) / routed : 0;
    if (routed && l % row_label_every == 0)
      s.Text(right_col, y + ch / 2 + 4,
             mean > 0 ? rf::Significant(static_cast<double>(routed_max) / mean, 3) + "×" : "–",
             "start", "class=\"tick\"");
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
  s.Text((fr.left + fr.right) / 2, fr.bottom + 38, "chip (torus node)", "middle",
         "class=\"axis-title\"");
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
    std::string tip = "node " + std::to_string(c.node) + " (" +
                      (known ? in.options.skus[c.sku].name : "?") + ", " +
                      (attention ? "attention" : "expert") + "): busy " + Percent(busy);
    if (!attention)
      tip += ", " + std::to_string(c.jobs) + " jobs, " + std::to_string(c.slots) +
             " slots, mean active slots " +
             rf::Significant(ChipMeanActiveSlots(c, in.summary), 3) + ", max ingress " +
             std::to_string(c.max_ingress);
    s.Rect(x + slot * 0.12, y(busy), slot * 0.76, fr.bottom - y(busy),
           attention ? kAttentionBar : kExpertBar, "class=\"bar\"", tip);
    if (i % label_every == 0)
      s.Text(x + slot / 2, fr.bottom + 16, std::to_string(c.node), "middle", "class=\"tick\"");
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
  const uint32_t num_bins = static_cast<uint32_t>(
      std::clamp<double>(2 * std::ceil(std::sqrt(static_cast<double>(n))), 1, 60));
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
  DrawAxes(s, fr, xa, x, ya, y,
           "simulated time since the first token started (" + std::string(unit.name) + ")",
           "tokens / s", SiLabel);
  for (const auto& b : bins) {
    const double x0 = x(static_cast<double>(b.begin_ps - origin) / 1000 / unit.ns);
    const double x1 = x(static_cast<double>(b.end_ps - origin) / 1000 / unit.ns);
    const std::string tip = rf::HumanNs(static_cast<double>(b.begin_ps - origin) / 1000) +
                            " – " + rf::HumanNs(static_cast<double>(b.end_ps - origin) / 1000) +
                            ": " + std::to_string(b.tokens) + " tokens finished, " +
                            rf::HumanSi(b.tokens_per_s) + " tokens/s";
    s.Rect(x0 + 0.5, y(b.tokens_per_s), std::max(x1 - x0 - 1, 0.5), fr.bottom - y(b.tokens_per_s),
           "#59a14f", "class=\"bar\"", tip);
  }
  const double overall = in.summary.throughput_tokens_per_s;
  s.Line(fr.left, y(overall), fr.right, y(overall), "#111827", 1.5, "stroke-dasharray=\"6,4\"",
         "whole run: " + rf::HumanSi(overall) + " tokens/s");
  double lx = fr.left;
  lx = LegendItem(s, lx, 22, "#59a14f", "tokens finished per bin / bin width");
  s.Line(lx, 18, lx + 22, 18, "#111827", 1.5, "stroke-dasharray=\"6,4\"");
  s.Text(lx + 28, 22, "whole run " + rf::HumanSi(overall) + " tokens/s", "start",
         "class=\"legend\"");
  return s.Finish();
}

// ---------------------------------------------------------------------------------------
// Page

constexpr const char* kCss = R"(
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { background: #0f172a; color: #f8fafc; padding: 18px 28px 14px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .sub { margin: 0; color: #cbd5e1; }
main { max-width: 1360px; margin: 0 auto; padding: 18px 24px 40px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 650; margin-top: 2px; }
.card .unit { font-size: 14px; font-weight: 500; color: var(--muted); margin-left: 6px; }
.card .detail { color: var(--muted); font-size: 12px; }
.card.pass .value { color: #15803d; } .card.fail .value { color: #b91c1c; }
.card.off .value { color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; margin: 14px 0 4px; }
.facts table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 10px; }
.facts caption { text-align: left; font-weight: 600; padding: 0 0 4px 2px; }
.facts th, .facts td { text-align: left; padding: 4px 10px; border-top: 1px solid var(--line); vertical-align: top; }
.facts th { color: var(--muted); font-weight: 500; width: 42%; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(600px, 1fr)); gap: 16px; margin-top: 16px; }
.plot { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; min-width: 0; }
.plot.wide { grid-column: 1 / -1; }
.plot h2 { font-size: 16px; margin: 0 0 2px; }
.plot .caption { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
.plot svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
svg text { font-family: inherit; fill: #1f2937; }
svg .tick { font-size: 11px; fill: #4b5563; }
svg .axis-title, svg .legend { font-size: 12px; }
svg .row-title { font-size: 13px; font-weight: 600; }
svg .note { font-size: 11px; fill: #6b7280; }
svg .empty { font-size: 14px; fill: #9ca3af; }
svg .on-bar { font-size: 11px; fill: #ffffff; font-weight: 600; }
svg .node-label { font-size: 12px; font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 18px; }
footer table td { padding: 1px 12px 1px 0; }
)";

std::string Card(const std::string& id, const std::string& label, const std::string& value,
                 const std::string& detail, const std::string& data_value,
                 const std::string& extra_class = "", const std::string& unit = "") {
  return "<div class=\"card" + (extra_class.empty() ? "" : " " + extra_class) + "\" id=\"" + id +
         "\" data-value=\"" + E(data_value) + "\"><div class=\"label\">" + E(label) +
         "</div><div class=\"value\">" + E(value) +
         (unit.empty() ? "" : "<span class=\"unit\">" + E(unit) + "</span>") +
         "</div><div class=\"detail\">" + E(detail) + "</div></div>\n";
}

std::string Row(const std::string& key, const std::string& value) {
  return "<tr><th>" + E(key) + "</th><td>" + E(value) + "</td></tr>\n";
}

std::string Join(const std::vector<uint32_t>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

std::string Section(const std::string& title, const std::string& caption,
                    const std::string& svg, bool wide) {
  return std::string("<section class=\"plot") + (wide ? " wide" : "") + "\">\n<h2>" + E(title) +
         "</h2>\n<p class=\"caption\">" + E(caption) + "</p>\n" + svg + "</section>\n";
}

}  // namespace

std::string HtmlReport(const ReportInput& in) {
  const RunOptions& o = in.options;
  const auto& m = o.model;
  const LatencySummary& s = in.summary;
  const std::string model_name = m.name.empty() ? "unnamed model" : m.name;
  const std::string torus_text = o.torus_dims.empty() ? std::to_string(o.num_nodes())
                                                      : Join(o.torus_dims, " × ");
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n";
  h += "<meta name=\"generator\" content=\"moefab\" />\n";
  h += "<title>moefab report: " + E(model_name) + " on a " + E(torus_text) + " torus</title>\n";
  h += "<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n";
  h += "<header>\n<h1>moefab run report: " + E(model_name) + "</h1>\n<p class=\"sub\">" +
       E(std::to_string(m.num_layers) + " MoE layers × " + std::to_string(m.num_experts) +
         " experts" +
         (m.num_shared_experts ? " + " + std::to_string(m.num_shared_experts) + " shared" : "") +
         ", top-" + std::to_string(m.top_k) + ", " + chips::WeightFormatName(m.format) +
         " weights · " + torus_text + " torus, " + std::to_string(o.num_nodes()) + " chips · " +
         FidelityName(o.fidelity) + " fidelity · config " +
         (o.config_path.empty() ? "(none)" : o.config_path)) +
       "</p>\n</header>\n<main>\n";

  // Headline numbers.
  h += "<section id=\"summary\">\n<div class=\"cards\">\n";
  h += Card("headline-tokens", "tokens", std::to_string(in.merged.tokens.size()),
            "makespan " + rf::HumanNs(static_cast<double>(s.makespan_ps) / 1000),
            std::to_string(in.merged.tokens.size()));
  h += Card("headline-p50", "p50 latency", rf::HumanNs(s.p50_ns),
            "mean " + rf::HumanNs(s.mean_ns), rf::Shortest(s.p50_ns));
  h += Card("headline-p99", "p99 latency", rf::HumanNs(s.p99_ns),
            "p90 " + rf::HumanNs(s.p90_ns) + " · max " + rf::HumanNs(s.max_ns),
            rf::Shortest(s.p99_ns));
  h += Card("headline-throughput", "throughput", rf::HumanSi(s.throughput_tokens_per_s),
            "simulated time, closed loop, " + std::to_string(o.workload.concurrency) +
                " in flight",
            rf::Shortest(s.throughput_tokens_per_s), "", "tokens/s");
  {
    const GoldenCheck& g = in.golden;
    std::string value = "not run", detail = "golden check disabled", cls = "off";
    if (g.enabled) {
      value = g.match ? "PASS" : "FAIL";
      cls = g.match ? "pass" : "fail";
      detail = std::to_string(g.tokens_checked) + " tokens checked bit for bit";
      if (!g.match)
        detail += ", " + std::to_string(g.tokens_mismatched) + " differ (first: token " +
                  std::to_string(g.first_mismatch) + ")";
    }
    h += Card("headline-golden", "golden check", value, detail, value, cls);
  }
  {
    const QuantErrorSummary& q = in.quant;
    if (q.experts > 0) {
      h += Card("headline-quant", std::string("quantisation error (") +
                chips::WeightFormatName(m.format) + ")",
                "cos ≥ " + rf::Fixed(q.cosine_min, 4),
                "mean cos " + rf::Fixed(q.cosine_mean, 4) + " · RMS " +
                    rf::Significant(q.rms, 3) + " · max " + rf::Significant(q.max_abs, 3) +
                    " · " + std::to_string(q.experts) + " experts × " +
                    std::to_string(q.samples_per_expert) + " inputs",
                rf::Shortest(q.cosine_min));
    } else {
      h += Card("headline-quant", "quantisation error", "n/a",
                "no float reference for these weights", "", "off");
    }
  }
  h += "</div>\n";

  // Model and cluster facts.
  h += "<div class=\"facts\">\n<table id=\"model-facts\"><caption>Model</caption>\n";
  h += Row("name", model_name);
  h += Row("MoE layers", std::to_string(m.num_layers));
  h += Row("d_model × expert width", std::to_string(m.d_model) + " × " +
                                          std::to_string(m.expert_width));
  h += Row("experts per layer", std::to_string(m.num_experts) + " routed" +
                                     (m.num_shared_experts
                                          ? " + " + std::to_string(m.num_shared_experts) + " shared"
                                          : "") +
                                     ", top-" + std::to_string(m.top_k));
  h += Row("weight format", chips::WeightFormatName(m.format));
  h += Row("weights", m.safetensors.empty() ? "synthetic, seed " + std::to_string(m.weight_seed)
                                            : m.safetensors);
  h += "</table>\n<table id=\"cluster-facts\"><caption>Cluster</caption>\n";
  h += Row("torus", torus_text + " (" + std::to_string(o.num_nodes()) + " chips)");
  {
    std::vector<uint32_t> count(o.skus.size(), 0);
    for (uint32_t sku : o.node_sku)
      if (sku < count.size()) ++count[sku];
    for (size_t i = 0; i < o.skus.size(); ++i) {
      const SkuOptions& k = o.skus[i];
      std::string v = std::to_string(count[i]) + " × " + ChipKindName(k.kind) + " chip, " +
                      rf::Significant(1e6 / static_cast<double>(std::max<Tick>(k.clock.period_ps, 1)), 4) +
                      " MHz";
      if (k.kind == ChipKind::kExpert) v += ", " + std::to_string(k.mac_lanes) + " MAC lanes";
      h += Row("SKU " + k.name, v);
    }
  }
  h += Row("links", rf::Significant(static_cast<double>(o.link.bandwidth_mbytes_per_s) / 1000, 4) +
                        " GB/s per direction, wire " +
                        rf::HumanNs(static_cast<double>(o.link.wire_latency_ps) / 1000) +
                        ", router " +
                        rf::HumanNs(static_cast<double>(o.link.router_delay_ps) / 1000));
  h += Row("workload", std::to_string(o.workload.num_tokens) + " tokens, " +
                           std::to_string(o.workload.concurrency) + " in flight");
  h += Row("fidelity", FidelityName(o.fidelity));
  h += "</table>\n</div>\n</section>\n";

  // Plots.
  h += "<div class=\"plots\">\n";
  h += Section("Latency CDF",
               "Share of tokens whose end-to-end latency (entering the home chip to leaving the "
               "last layer) is at most x; dashed lines mark p50, p90 and p99.",
               LatencyCdf(in), false);
  h += Section("Throughput over simulated time",
               "Tokens finished in each time bin divided by the bin width; the dashed line is "
               "tokens / makespan for the whole run.",
               Throughput(in), false);
  h += Section("Mean latency breakdown",
               "Where a token's time goes (the parts add up to its latency), and where an "
               "expert job's time goes from dispatch until its result is back home.",
               LatencyBreakdown(in), true);
  h += Section("Torus link utilisation",
               "Every directed link coloured by busy (serialisation) time over the makespan. "
               "Hover a link or node for bytes, packets and queue delay.",
               LinkHeatmap(in), true);
  h += Section("Expert load",
               "Jobs per expert in each layer (a token sends one job to each selected expert); "
               "the right column is the busiest routed expert's jobs over the routed mean.",
               ExpertLoad(in), true);
  h += Section("Chip load",
               "Busy fraction of each chip over the makespan: attention chips by core "
               "service time, expert chips by time with a job in a slot.",
               ChipLoad(in), true);
  h += "</div>\n";

  // Simulator and host (machine-dependent figures, kept apart).
  const HostInfo& host = in.host;
  h += "<footer>\n<table id=\"host-facts\">\n";
  h += "<tr><td>simulated events</td><td>" + std::to_string(in.merged.events) +
       "</td><td>RTL cycles</td><td>" + std::to_string(in.merged.rtl_cycles_simulated) +
       "</td></tr>\n";
  h += "<tr><td>ranks</td><td>" + std::to_string(host.ranks) + " (" + E(host.transport) +
       ")</td><td>wall time</td><td>" + rf::Significant(host.wall_seconds, 3) +
       " s (simulate " + rf::Significant(host.simulate_wall_seconds, 3) + " s)</td></tr>\n";
  h += "</table>\n<p>Generated by moefab. Host figures depend on the machine; every other "
       "number is simulated and identical for any rank count.</p>\n</footer>\n";
  h += "</main>\n</body>\n</html>\n";
  return h;
}

void WriteHtmlReport(const std::string& dir, const ReportInput& in) {
  WriteFileAtomically(dir, "report.html", HtmlReport(in));
}

}  // namespace moefab
