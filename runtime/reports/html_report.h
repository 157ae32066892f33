// report.html: one self-contained page (inline CSS and inline SVG drawn here in C++; no
// JavaScript, no fonts, images or scripts from the network) that summarises a run for a
// person: model and cluster, headline numbers (tokens, p50/p99 latency, throughput, golden
// check, quantisation error) and six plots, each an <svg> with a stable id:
//   latency-cdf        fraction of tokens finished within a latency, p50/p90/p99 marked
//   latency-breakdown  mean token latency and mean expert-job time split into their parts
//   link-heatmap       torus nodes with each directed link coloured by utilisation
//                      (1D: a line; 2D: a grid; 3D: one grid per z plane, z links as marks)
//   expert-load        expert jobs per (layer, expert) as a heat map
//   chip-load          busy fraction per chip, coloured by chip kind
//   throughput         tokens finished per bin of simulated time
// Same input -> same bytes (no timestamps; numbers formatted without locale).
// Omits: interactivity beyond SVG <title> tooltips, per-job timelines (see trace.json); energy
// is one row of the cluster table (results.json has its parts).
#pragma once

#include <string>

#include "runtime/reports/run_data.h"

namespace moefab {

/// Writes dir/report.html atomically. Creates `dir`. Throws std::runtime_error on I/O failure.
void WriteHtmlReport(const std::string& dir, const ReportInput& in);

/// The text WriteHtmlReport writes.
std::string HtmlReport(const ReportInput& in);

/// The ids of the plots' <svg> elements, in page order.
inline constexpr const char* kHtmlPlotIds[] = {"latency-cdf", "latency-breakdown", "link-heatmap",
                                               "expert-load", "chip-load",         "throughput"};

}  // namespace moefab
