// The plots of report.html, one SVG string each (html_plots.cc, html_heatmap.cc).
#pragma once

#include <string>

#include "runtime/reports/run_data.h"

namespace moefab::report_svg {

std::string LatencyCdf(const ReportInput& in);
std::string LatencyBreakdown(const ReportInput& in);
std::string LinkHeatmap(const ReportInput& in);
std::string ExpertLoad(const ReportInput& in);
std::string ChipLoad(const ReportInput& in);
std::string Throughput(const ReportInput& in);

}  // namespace moefab::report_svg
