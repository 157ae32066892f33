// `moefab sweep --resume`: what an earlier run of the same sweep into the same --out folder
// finished, so that an interrupted sweep (killed, out of time, a node lost) goes on at its
// first unfinished point. A point counts as finished when its point-NNN/config.textproto is
// byte for byte the config this sweep builds for it, its point-NNN/results.json exists (both
// are written atomically, results last), and sweep.csv has its row under the same header.
// Anything else (another config, other --set values, a missing file) runs the point again.
#pragma once

#include <string>
#include <vector>

namespace moefab {

/// One earlier result per point: its sweep.csv row (without the newline), or "" to run it.
/// `header` is this sweep's sweep.csv header line; `texts[i]` point i's config text.
std::vector<std::string> FinishedRows(const std::string& out_dir, const std::string& header,
                                      const std::vector<std::string>& texts);

/// The fields of one CSV line (RFC 4180 quoting, as sweep.csv writes it).
std::vector<std::string> SplitCsvLine(const std::string& line);

}  // namespace moefab
