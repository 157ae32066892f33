#include "runtime/commands/extra_reports.h"

#include "runtime/reports/csv_writer.h"
#include "runtime/reports/html_report.h"
#include "runtime/reports/run_data.h"
#include "runtime/reports/trace_writer.h"

namespace moefab {

namespace {

// Trace events: one span per traced token and one per job of those tokens in its slot.
std::vector<TraceEvent> TraceEventsOf(const RankReport& merged, uint32_t max_tokens) {
  std::vector<TraceEvent> events;
  for (auto& e : TokenTraceEvents(merged)) {
    if (events.size() >= max_tokens) break;
    events.push_back(std::move(e));
  }
  for (const auto& j : merged.job_spans) {
    TraceEvent e;
    e.name = "L" + std::to_string(j.layer) + " E" + std::to_string(j.expert);
    e.category = "expert";
    e.track = "chip " + std::to_string(j.node) + " slot " + std::to_string(j.slot);
    e.start_ps = j.start_ps;
    e.duration_ps = j.done_ps - j.start_ps;
    e.args = {{"token", std::to_string(j.token)}};
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace

void ApplyReportArgs(const std::vector<std::string>& reports, ReportOptions& report) {
  for (const auto& r : reports) {
    if (r == "csv" || r == "all") report.csv = true;
    if (r == "html" || r == "all") report.html = true;
    if (r == "trace" || r == "all") report.trace = true;
  }
}

void WriteExtraReports(const std::string& dir, const RunOptions& o, const SimulationOutcome& out, spdlog::logger& log) {
  if (!o.report.csv && !o.report.html && !o.report.trace) return;
  const ReportInput input = MakeReportInput(
      o, *out.plan, out.merged, out.golden, out.quant, out.host,
      o.report.trace ? TraceEventsOf(out.merged, o.report.trace_max_tokens) : std::vector<TraceEvent>{});
  if (o.report.csv) WriteCsvReports(dir, input);
  if (o.report.html) WriteHtmlReport(dir, input);
  if (o.report.trace) WriteChromeTrace(dir, input);
  log.info("wrote{}{}{} in {}", o.report.csv ? " tokens/links/chips/experts.csv" : "",
           o.report.html ? " report.html" : "", o.report.trace ? " trace.json" : "", dir);
}

}  // namespace moefab
