// The extra outputs of one simulation (`--report csv,html,trace|all` or the config's
// report section): tokens/links/chips/experts.csv, report.html, trace.json. Used by `run`
// for its --out folder and by `sweep` for each point's folder.
#pragma once

#include <string>
#include <vector>

#include "runtime/config/options.h"
#include "runtime/logging.h"
#include "runtime/simulate.h"

namespace moefab {

/// Turns on the reports named by --report (csv, html, trace, all) in `report`.
void ApplyReportArgs(const std::vector<std::string>& reports, ReportOptions& report);

/// Writes the reports `o.report` asks for into `dir` (rank 0; nothing when none is asked).
void WriteExtraReports(const std::string& dir, const RunOptions& o, const SimulationOutcome& out, spdlog::logger& log);

}  // namespace moefab
