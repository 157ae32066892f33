// Deterministic number and text formatting for the report writers (see format.h).
#include "runtime/reports/format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace moefab::report_format {

std::string ScaledDecimal(Tick value, int decimals) {
  Tick scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  std::string frac = std::to_string(value % scale);
  frac.insert(0, static_cast<size_t>(decimals) - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

std::string Shortest(double v) {
  if (!std::isfinite(v)) return "";
  if (v == 0) return "0";  // also turns -0 into 0
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) v = 0;
  char buf[400];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  std::string s(buf, res.ptr);
  if (s.starts_with('-') && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string Significant(double v, int sig) {
  if (!std::isfinite(v) || v == 0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  int decimals = sig - 1 - magnitude;
  if (decimals < 0) {
    const double p = std::pow(10.0, -decimals);
    v = std::round(v / p) * p;
    decimals = 0;
  }
  std::string s = Fixed(v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string HumanNs(double ns) {
  const double a = std::fabs(ns);
  if (a < 1e3) return Significant(ns, 4) + " ns";
  if (a < 1e6) return Significant(ns / 1e3, 4) + " µs";
  if (a < 1e9) return Significant(ns / 1e6, 4) + " ms";
  return Significant(ns / 1e9, 4) + " s";
}

std::string HumanSi(double v) {
  static constexpr const char* kPrefix[] = {"", " k", " M", " G", " T", " P"};
  double a = std::fabs(v);
  int i = 0;
  while (a >= 1000 && i < 5) {
    a /= 1000;
    v /= 1000;
    ++i;
  }
  return Significant(v, 4) + kPrefix[i];
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace moefab::report_format
