// SVG drawing helpers of report.html: scales, nice axes, colour maps, an SVG builder and
// plot frames. Internal to runtime/reports/ (html_*.cc).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/reports/format.h"

namespace moefab::report_svg {

namespace rf = report_format;

// ---------------------------------------------------------------------------------------
// Small drawing helpers

inline std::string F(double v) {
  return rf::Fixed(v, 1);
}  // SVG coordinate
inline std::string E(std::string_view s) {
  return rf::HtmlEscape(s);
}

struct Linear {  // maps [d0, d1] onto [r0, r1]
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  double operator()(double v) const {
    const double span = d1 - d0;
    return span == 0 ? r0 : r0 + (v - d0) / span * (r1 - r0);
  }
};

// 1, 2 or 5 times a power of ten, near range / target.
inline double NiceStep(double range, int target) {
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
inline Axis NiceAxis(double lo, double hi, int target) {
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
  for (double t = a.lo; t <= a.hi + a.step * 1e-6; t += a.step) a.ticks.push_back(std::fabs(t) < a.step * 1e-9 ? 0 : t);
  return a;
}

inline std::string TickLabel(double v, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return rf::Fixed(v, decimals);
}

// A time unit for an axis whose largest value is `max_ns`.
struct TimeUnit {
  const char* name;
  double ns;
};
inline TimeUnit PickUnit(double max_ns) {
  if (max_ns >= 1e9) return {"s", 1e9};
  if (max_ns >= 1e6) return {"ms", 1e6};
  if (max_ns >= 1e3) return {"µs", 1e3};
  return {"ns", 1};
}

// Sequential "heat" palette (light yellow -> dark red), t in [0, 1].
inline std::string Heat(double t) {
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

inline constexpr const char* kNoTraffic = "#d1d5db";  // links and cells with nothing on them
inline constexpr const char *kAttentionFill = "#dbeafe", *kAttentionStroke = "#2563eb";
inline constexpr const char *kExpertFill = "#f1f5f9", *kExpertStroke = "#475569";
inline constexpr const char *kAttentionBar = "#4e79a7", *kExpertBar = "#f28e2b";

// An <svg> under construction; every element carries a stable class for styling and tests.
class Svg {
 public:
  Svg(std::string id, double width, double height, std::string label)
      : id_(std::move(id)), label_(std::move(label)), width_(width), height_(height) {}
  double width() const { return width_; }
  double height() const { return height_; }
  void set_height(double height) { height_ = height; }

  void Rect(double x, double y, double w, double h, const std::string& fill, const std::string& extra = "",
            const std::string& tooltip = "") {
    out_ += "<rect x=\"" + F(x) + "\" y=\"" + F(y) + "\" width=\"" + F(std::max(w, 0.0)) + "\" height=\"" +
            F(std::max(h, 0.0)) + "\" fill=\"" + fill + "\"" + Extra(extra);
    Close("rect", tooltip);
  }
  void Line(double x1, double y1, double x2, double y2, const std::string& stroke, double stroke_width,
            const std::string& extra = "", const std::string& tooltip = "") {
    out_ += "<line x1=\"" + F(x1) + "\" y1=\"" + F(y1) + "\" x2=\"" + F(x2) + "\" y2=\"" + F(y2) + "\" stroke=\"" +
            stroke + "\" stroke-width=\"" + F(stroke_width) + "\"" + Extra(extra);
    Close("line", tooltip);
  }
  void Path(const std::string& d, const std::string& stroke, double stroke_width, const std::string& fill,
            const std::string& extra = "", const std::string& tooltip = "") {
    out_ += "<path d=\"" + d + "\" stroke=\"" + stroke + "\" stroke-width=\"" + F(stroke_width) + "\" fill=\"" + fill +
            "\"" + Extra(extra);
    Close("path", tooltip);
  }
  void Circle(double cx, double cy, double r, const std::string& fill, const std::string& extra = "",
              const std::string& tooltip = "") {
    out_ += "<circle cx=\"" + F(cx) + "\" cy=\"" + F(cy) + "\" r=\"" + F(r) + "\" fill=\"" + fill + "\"" + Extra(extra);
    Close("circle", tooltip);
  }
  // anchor: start | middle | end.
  void Text(double x, double y, const std::string& text, const std::string& anchor = "start",
            const std::string& extra = "") {
    out_ += "<text x=\"" + F(x) + "\" y=\"" + F(y) + "\" text-anchor=\"" + anchor + "\"" + Extra(extra) + ">" +
            E(text) + "</text>\n";
  }
  void Raw(const std::string& s) { out_ += s; }
  std::string Finish() const {
    return "<svg id=\"" + id_ + "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + F(width_) + " " +
           F(height_) + "\" width=\"" + F(width_) + "\" height=\"" + F(height_) + "\" role=\"img\" aria-label=\"" +
           E(label_) + "\">\n" + out_ + "</svg>\n";
  }

  // A filled arrowhead at (x, y) pointing along (ux, uy) (unit vector).
  void Arrowhead(double x, double y, double ux, double uy, double size, const std::string& fill,
                 const std::string& tooltip = "") {
    const double bx = x - ux * size, by = y - uy * size;
    const double nx = -uy * size * 0.55, ny = ux * size * 0.55;
    // Starts from a std::string: GCC 12 warns falsely (-Wrestrict) on "M" + std::string&& once
    // this is inlined into a caller.
    Path(std::string("M").append(F(x)) + "," + F(y) + " L" + F(bx + nx) + "," + F(by + ny) + " L" + F(bx - nx) + "," +
             F(by - ny) + " Z",
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
inline void DrawAxes(Svg& s, const Frame& fr, const Axis& xa, const Linear& x, const Axis& ya, const Linear& y,
                     const std::string& x_title, const std::string& y_title,
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

inline std::string PercentLabel(double v, double step) {
  return TickLabel(v * 100, step * 100) + "%";
}
inline std::string SiLabel(double v, double /*step*/) {
  return rf::HumanSi(v);
}

// Horizontal colour bar with ticks for values in [0, max] mapped through Heat(v / max).
inline void ColourBar(Svg& s, double x, double y, double w, const Axis& axis, const std::string& title,
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
inline double LegendItem(Svg& s, double x, double y, const std::string& colour, const std::string& text,
                         const std::string& stroke = "") {
  s.Rect(x, y - 10, 12, 12, colour,
         stroke.empty() ? "rx=\"2\"" : "rx=\"2\" stroke=\"" + stroke + "\" stroke-width=\"1.2\"");
  s.Text(x + 17, y, text, "start", "class=\"legend\"");
  return x + 17 + 6.6 * static_cast<double>(text.size()) + 18;
}

inline std::string Percent(double fraction) {
  return rf::Significant(fraction * 100, 3) + "%";
}

}  // namespace moefab::report_svg
