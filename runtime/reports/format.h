// Text formatting shared by the report writers (internal to runtime/reports/). Every number
// is printed without the C locale or iostream state, so equal inputs give equal bytes:
// ticks as exact decimals, doubles in the shortest form that reads back equal.
// Omits: localisation (reports always use '.' and no thousands separators).
#pragma once

#include <string>
#include <string_view>

#include "core/types.h"

namespace moefab::report_format {

/// Exact decimal of `value / 10^decimals` with trailing zeros (and a bare '.') removed:
/// ScaledDecimal(1500, 3) == "1.5", ScaledDecimal(2000, 3) == "2", (7, 6) == "0.000007".
std::string ScaledDecimal(Tick value, int decimals);
inline std::string PsToNs(Tick ps) {
  return ScaledDecimal(ps, 3);
}
inline std::string PsToUs(Tick ps) {
  return ScaledDecimal(ps, 6);
}

/// Shortest round-trip form (std::to_chars); "" for NaN or infinity.
std::string Shortest(double v);
/// Fixed notation with `decimals` digits after the point; "0" style for non-finite values.
std::string Fixed(double v, int decimals);
/// `v` with `sig` significant digits, no exponent, trailing zeros removed: (1234.5, 3) ->
/// "1230", (0.012345, 3) -> "0.0123".
std::string Significant(double v, int sig);
/// Human time from ns with an auto unit: "850 ns", "1.25 µs", "3.4 ms", "2 s" (4 sig. digits).
std::string HumanNs(double ns);
/// Human rate with an SI prefix: "12.35 M" (4 sig. digits); caller appends the unit.
std::string HumanSi(double v);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view s);
/// RFC 4180 field: quoted (with "" for ") only when it holds , " CR or LF.
std::string CsvField(std::string_view s);
/// JSON string literal with quotes.
std::string JsonQuote(std::string_view s);

}  // namespace moefab::report_format
