// CSV tables of a run, for spreadsheets and pandas: tokens.csv, links.csv, chips.csv and
// experts.csv, each with a header row, one row per record in the merged report's order
// (token id, link index, node; experts by layer then expert). Times are exact decimal ns
// from integer ps; fractions use the shortest round-trip form, so the same input always
// gives the same bytes. Fractions use the makespan as results.json does.
// Omits: per-job rows (not kept by the runtime) and host figures (see results.json "host").
#pragma once

#include <string>

#include "runtime/reports/run_data.h"

namespace moefab {

/// Writes dir/{tokens,links,chips,experts}.csv, each atomically (WriteFileAtomically).
/// Creates `dir`. Throws std::runtime_error on I/O failure.
void WriteCsvReports(const std::string& dir, const ReportInput& in);

/// The texts WriteCsvReports writes (for tests and other sinks).
std::string TokensCsv(const ReportInput& in);
std::string LinksCsv(const ReportInput& in);
std::string ChipsCsv(const ReportInput& in);
std::string ExpertsCsv(const ReportInput& in);

}  // namespace moefab
