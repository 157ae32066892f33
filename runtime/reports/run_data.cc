// Figures derived from a run for the reports (see run_data.h).
#include "runtime/reports/run_data.h"

#include <algorithm>

namespace moefab {

ReportInput MakeReportInput(const RunOptions& options, const ClusterPlan& plan, const RankReport& merged,
                            const GoldenCheck& golden, const QuantErrorSummary& quant, const HostInfo& host,
                            std::vector<TraceEvent> trace) {
  return ReportInput{options, plan, merged, Summarise(merged), golden, quant, host, std::move(trace)};
}

Tick UtilisationSpanPs(const LatencySummary& summary) {
  return std::max<Tick>(summary.makespan_ps, 1);
}

double LinkUtilisation(const LinkRecord& link, const LatencySummary& summary) {
  return static_cast<double>(link.busy_ps) / static_cast<double>(UtilisationSpanPs(summary));
}

double ChipBusyFraction(const ChipRecord& chip, const LatencySummary& summary) {
  return static_cast<double>(chip.busy_ps) / static_cast<double>(UtilisationSpanPs(summary));
}

double ChipMeanActiveSlots(const ChipRecord& chip, const LatencySummary& summary) {
  return static_cast<double>(chip.slot_active_ps) / static_cast<double>(UtilisationSpanPs(summary));
}

const char* ChipKindName(ChipKind kind) {
  return kind == ChipKind::kAttention ? "attention" : "expert";
}

fabric::Torus TorusOf(const RunOptions& options) {
  if (!options.torus_dims.empty()) return fabric::Torus::Make(options.torus_dims);
  return fabric::Torus::Make({std::max<uint32_t>(options.num_nodes(), 1)});
}

std::string PortName(fabric::PortId port) {
  std::string s = (port % 2 == 0) ? "+" : "-";
  s += static_cast<char>('x' + std::min<fabric::PortId>(port / 2, 2));
  return s;
}

BreakdownNs MeanBreakdownNs(const RankReport& merged) {
  const TokenBreakdown sum = SumBreakdowns(merged);
  // Same arithmetic as results.json: ns of the sum, then divided by the count.
  const double n = static_cast<double>(std::max<size_t>(merged.tokens.size(), 1));
  auto ns = [n](Tick ps) { return static_cast<double>(ps) / 1000.0 / n; };
  return BreakdownNs{ns(sum.attention_ps), ns(sum.gate_ps), ns(sum.expert_phase_ps), ns(sum.combine_ps),
                     ns(sum.core_queue_ps)};
}

std::vector<Tick> SortedLatenciesPs(const RankReport& merged) {
  std::vector<Tick> lat;
  lat.reserve(merged.tokens.size());
  for (const auto& t : merged.tokens) lat.push_back(t.end_ps - t.start_ps);
  std::sort(lat.begin(), lat.end());
  return lat;
}

std::vector<ThroughputBin> ThroughputOverTime(const RankReport& merged, uint32_t num_bins) {
  std::vector<ThroughputBin> bins;
  if (merged.tokens.empty() || num_bins == 0) return bins;
  Tick first = kTickMax, last = 0;
  for (const auto& t : merged.tokens) {
    first = std::min(first, t.start_ps);
    last = std::max(last, t.end_ps);
  }
  // Integer bin width (ceil), so bin edges are exact ticks and the bins cover the span.
  const Tick span = std::max<Tick>(last - first, 1);
  const Tick width = std::max<Tick>((span + num_bins - 1) / num_bins, 1);
  bins.resize(num_bins);
  for (uint32_t i = 0; i < num_bins; ++i) {
    bins[i].begin_ps = first + width * i;
    bins[i].end_ps = first + width * (i + 1);
  }
  for (const auto& t : merged.tokens) {
    const Tick offset = t.end_ps - first;
    const size_t i = std::min<size_t>(offset / width, num_bins - 1);
    ++bins[i].tokens;
  }
  for (auto& b : bins) b.tokens_per_s = static_cast<double>(b.tokens) / (static_cast<double>(width) * 1e-12);
  return bins;
}

uint64_t ExpertJobs(const ReportInput& in, uint32_t layer, uint32_t expert) {
  const size_t per_layer = in.options.model.experts_per_layer();
  const size_t i = static_cast<size_t>(layer) * per_layer + expert;
  if (expert >= per_layer || i >= in.merged.expert_jobs.size()) return 0;
  return in.merged.expert_jobs[i];
}

}  // namespace moefab
