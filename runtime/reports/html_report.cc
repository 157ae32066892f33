// report.html: page layout, headline numbers and the SVG plots (see html_report.h).
// Plots are drawn in an SVG user space of fixed size and scale with the page via viewBox.
#include "runtime/reports/html_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "runtime/reports/format.h"
#include "runtime/reports/html_plots.h"
#include "runtime/reports/svg.h"
#include "runtime/results/energy.h"
#include "runtime/results/routing_skew.h"
#include "runtime/results/utilisation.h"

namespace moefab {

namespace {
namespace rf = report_format;
using namespace report_svg;  // NOLINT: the page uses the drawing helpers and plots

// ---------------------------------------------------------------------------------------
// Page

constexpr const char* kCss = R"(
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { background: #0f172a; color: #f8fafc; padding: 18px 28px 14px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .sub { margin: 0; color: #cbd5e1; }
main { max-width: 1360px; margin: 0 auto; padding: 18px 24px 40px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 650; margin-top: 2px; }
.card .unit { font-size: 14px; font-weight: 500; color: var(--muted); margin-left: 6px; }
.card .detail { color: var(--muted); font-size: 12px; }
.card.pass .value { color: #15803d; } .card.fail .value { color: #b91c1c; }
.card.off .value { color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; margin: 14px 0 4px; }
.facts table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 10px; }
.facts caption { text-align: left; font-weight: 600; padding: 0 0 4px 2px; }
.facts th, .facts td { text-align: left; padding: 4px 10px; border-top: 1px solid var(--line); vertical-align: top; }
.facts th { color: var(--muted); font-weight: 500; width: 42%; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(600px, 1fr)); gap: 16px; margin-top: 16px; }
.plot { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; min-width: 0; }
.plot.wide { grid-column: 1 / -1; }
.plot h2 { font-size: 16px; margin: 0 0 2px; }
.plot .caption { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
.plot svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
svg text { font-family: inherit; fill: #1f2937; }
svg .tick { font-size: 11px; fill: #4b5563; }
svg .axis-title, svg .legend { font-size: 12px; }
svg .row-title { font-size: 13px; font-weight: 600; }
svg .note { font-size: 11px; fill: #6b7280; }
svg .empty { font-size: 14px; fill: #9ca3af; }
svg .on-bar { font-size: 11px; fill: #ffffff; font-weight: 600; }
svg .node-label { font-size: 12px; font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 18px; }
footer table td { padding: 1px 12px 1px 0; }
)";

std::string Card(const std::string& id, const std::string& label, const std::string& value, const std::string& detail,
                 const std::string& data_value, const std::string& extra_class = "", const std::string& unit = "") {
  return "<div class=\"card" + (extra_class.empty() ? "" : " " + extra_class) + "\" id=\"" + id + "\" data-value=\"" +
         E(data_value) + "\"><div class=\"label\">" + E(label) + "</div><div class=\"value\">" + E(value) +
         (unit.empty() ? "" : "<span class=\"unit\">" + E(unit) + "</span>") + "</div><div class=\"detail\">" +
         E(detail) + "</div></div>\n";
}

std::string Row(const std::string& key, const std::string& value) {
  return "<tr><th>" + E(key) + "</th><td>" + E(value) + "</td></tr>\n";
}

std::string Join(const std::vector<uint32_t>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

std::string Section(const std::string& title, const std::string& caption, const std::string& svg, bool wide) {
  return std::string("<section class=\"plot") + (wide ? " wide" : "") + "\">\n<h2>" + E(title) +
         "</h2>\n<p class=\"caption\">" + E(caption) + "</p>\n" + svg + "</section>\n";
}

// <head> and the page header: what ran, on what.
std::string PageHeader(const RunOptions& o, const std::string& model_name, const std::string& torus_text) {
  const auto& m = o.model;
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n";
  h += "<meta name=\"generator\" content=\"moefab\" />\n";
  h += "<title>moefab report: " + E(model_name) + " on a " + E(torus_text) + " torus</title>\n";
  h += "<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n";
  h += "<header>\n<h1>moefab run report: " + E(model_name) + "</h1>\n<p class=\"sub\">" +
       E(std::to_string(m.num_layers) + " MoE layers × " + std::to_string(m.num_experts) + " experts" +
         (m.num_shared_experts ? " + " + std::to_string(m.num_shared_experts) + " shared" : "") + ", top-" +
         std::to_string(m.top_k) + ", " + chips::WeightFormatName(m.format) + " weights · " + torus_text + " torus, " +
         std::to_string(o.num_nodes()) + " chips · " + FidelityName(o.fidelity) + " fidelity · config " +
         (o.config_path.empty() ? "(none)" : o.config_path)) +
       "</p>\n</header>\n<main>\n";
  return h;
}

std::string GoldenCard(const GoldenCheck& g) {
  std::string value = "not run", detail = "golden check disabled", cls = "off";
  if (g.enabled) {
    value = g.match ? "PASS" : "FAIL";
    cls = g.match ? "pass" : "fail";
    detail = std::to_string(g.tokens_checked) + " tokens checked bit for bit";
    if (!g.match)
      detail += ", " + std::to_string(g.tokens_mismatched) + " differ (first: token " +
                std::to_string(g.first_mismatch) + ")";
  }
  return Card("headline-golden", "golden check", value, detail, value, cls);
}

std::string QuantCard(const RunOptions& o, const QuantErrorSummary& q) {
  if (q.experts > 0) {
    return Card("headline-quant", std::string("quantisation error (") + chips::WeightFormatName(o.model.format) + ")",
                "cos ≥ " + rf::Fixed(q.cosine_min, 4),
                "mean cos " + rf::Fixed(q.cosine_mean, 4) + " · RMS " + rf::Significant(q.rms, 3) + " · max " +
                    rf::Significant(q.max_abs, 3) + " · " + std::to_string(q.experts) + " experts × " +
                    std::to_string(q.samples_per_expert) + " inputs",
                rf::Shortest(q.cosine_min));
  }
  return Card("headline-quant", "quantisation error", "n/a",
              o.timing_only ? "timing-only run: no weights" : "no float reference for these weights", "", "off");
}

// The headline numbers, one card each.
std::string HeadlineCards(const ReportInput& in) {
  const LatencySummary& s = in.summary;
  std::string h = "<div class=\"cards\">\n";
  h += Card("headline-tokens", "tokens", std::to_string(in.merged.tokens.size()),
            "makespan " + rf::HumanNs(static_cast<double>(s.makespan_ps) / 1000),
            std::to_string(in.merged.tokens.size()));
  h += Card("headline-p50", "p50 latency", rf::HumanNs(s.p50_ns), "mean " + rf::HumanNs(s.mean_ns),
            rf::Shortest(s.p50_ns));
  h += Card("headline-p99", "p99 latency", rf::HumanNs(s.p99_ns),
            "p90 " + rf::HumanNs(s.p90_ns) + " · max " + rf::HumanNs(s.max_ns), rf::Shortest(s.p99_ns));
  h += Card("headline-throughput", "throughput", rf::HumanSi(s.throughput_tokens_per_s),
            "simulated time, closed loop, " + std::to_string(in.options.workload.concurrency) + " in flight",
            rf::Shortest(s.throughput_tokens_per_s), "", "tokens/s");
  h += GoldenCard(in.golden);
  h += QuantCard(in.options, in.quant);
  h += "</div>\n";
  return h;
}

std::string ModelFacts(const ModelOptions& m, const std::string& model_name) {
  std::string h = "<table id=\"model-facts\"><caption>Model</caption>\n";
  h += Row("name", model_name);
  h += Row("MoE layers", std::to_string(m.num_layers));
  h += Row("d_model × expert width", std::to_string(m.d_model) + " × " + std::to_string(m.expert_width));
  h += Row("experts per layer",
           std::to_string(m.num_experts) + " routed" +
               (m.num_shared_experts ? " + " + std::to_string(m.num_shared_experts) + " shared" : "") + ", top-" +
               std::to_string(m.top_k));
  h += Row("weight format", chips::WeightFormatName(m.format));
  h += Row("weights", m.safetensors.empty() ? "synthetic, seed " + std::to_string(m.weight_seed) : m.safetensors);
  h += "</table>\n";
  return h;
}

// One row per chip SKU: how many chips of it, its kind and clock.
std::string SkuRows(const RunOptions& o) {
  std::string h;
  std::vector<uint32_t> count(o.skus.size(), 0);
  for (uint32_t sku : o.node_sku)
    if (sku < count.size()) ++count[sku];
  for (size_t i = 0; i < o.skus.size(); ++i) {
    const SkuOptions& k = o.skus[i];
    std::string v = std::to_string(count[i]) + " × " + ChipKindName(k.kind) + " chip, " +
                    rf::Significant(1e6 / static_cast<double>(std::max<Tick>(k.clock.period_ps, 1)), 4) + " MHz";
    if (k.kind == ChipKind::kExpert) {
      v += ", " + std::to_string(k.mac_lanes) + " MAC lanes";
      if (k.has_format) v += ", " + std::string(chips::WeightFormatName(k.format));
    }
    h += Row("SKU " + k.name, v);
  }
  return h;
}

// The links' timing and the network model with its totals.
std::string FabricRows(const ReportInput& in) {
  const RunOptions& o = in.options;
  std::string h;
  const fabric::LinkTiming& link = o.fabric.topology.link;
  h += Row("links", rf::Significant(static_cast<double>(link.bandwidth_mbytes_per_s) / 1000, 4) +
                        " GB/s per direction, wire " + rf::HumanNs(static_cast<double>(link.latency_ps) / 1000) +
                        ", router " + rf::HumanNs(static_cast<double>(o.fabric.network.router_delay_ps) / 1000));
  h += Row("fabric",
           o.fabric.kind_name + ", " +
               (o.fabric.network.flow_control == fabric::FlowControl::kStoreAndForward ? "store-and-forward"
                                                                                       : "virtual cut-through") +
               ", " + std::to_string(o.fabric.network.flit_bytes) + "-byte flits, MTU " +
               std::to_string(o.fabric.network.mtu_bytes) + " B; " + std::to_string(in.merged.fabric.messages) +
               " messages, " +
               rf::Significant(in.merged.fabric.packets ? static_cast<double>(in.merged.fabric.packet_hops) /
                                                              static_cast<double>(in.merged.fabric.packets)
                                                        : 0.0,
                               3) +
               " hops per packet" +
               (in.merged.reconfigs.empty() ? std::string()
                                            : ", " + std::to_string(in.merged.reconfigs.size()) + " OCS rewirings"));
  return h;
}

// Joules per token and the share of each part (same figures as results.json "energy").
std::string EnergyRow(const ReportInput& in) {
  const EnergyReport e = ComputeEnergy(in.options, in.plan, in.merged, in.summary.makespan_ps);
  return Row("energy", rf::Significant(e.per_token_j * 1e3, 4) + " mJ per token (experts " +
                           rf::Significant(e.mac_j / std::max(e.total_j, 1e-30) * 100, 3) + "%, links " +
                           rf::Significant(e.link_j / std::max(e.total_j, 1e-30) * 100, 3) + "%, attention " +
                           rf::Significant(e.attention_j / std::max(e.total_j, 1e-30) * 100, 3) + "%, static " +
                           rf::Significant(e.static_j / std::max(e.total_j, 1e-30) * 100, 3) + "%)");
}

// The routing skew the run saw (same figures as results.json "routing").
std::string SkewRow(const ReportInput& in) {
  const RoutingSkew s = ComputeRoutingSkew(in.options, in.merged);
  return Row("routing skew (max/mean)",
             "per expert " + rf::Significant(s.per_expert_mean, 3) + " (mean of layers; hottest layer " +
                 rf::Significant(s.per_expert_max, 3) + "); " + std::to_string(s.groups) + " expert groups (as EP ranks) " +
                 rf::Significant(s.per_group_mean, 3) + " (hottest layer " + rf::Significant(s.per_group_max, 3) +
                 "); expert chips " + rf::Significant(s.per_expert_chip, 3));
}

// MoE utilisation of the etched expert chips (same figures as results.json "utilisation").
std::string UtilisationTable(const ReportInput& in) {
  const Utilisation u = ComputeUtilisation(in.options, in.merged.chips, in.merged.tokens.size(),
                                           static_cast<double>(UtilisationSpanPs(in.summary)));
  auto pct = [](double f) { return rf::Significant(f * 100, 3) + "%"; };
  std::string h = "<table id=\"moe-utilisation\"><caption>MoE utilisation (etched expert chips)</caption>\n";
  h += "<tr><th>chip</th><th>etched weights</th><th>used per token</th><th>share used</th>"
       "<th>MAC-lane utilisation</th><th>transistors (model)</th><th>mm² (model)</th></tr>\n";
  auto line = [&](const std::string& name, double etched, double used, double fraction, double lanes,
                  double transistors, double mm2) {
    h += "<tr><td>" + E(name) + "</td><td>" + rf::HumanSi(etched) + "</td><td>" + rf::HumanSi(used) + "</td><td>" +
         pct(fraction) + "</td><td>" + pct(lanes) + "</td><td>" + rf::HumanSi(transistors) + "</td><td>" +
         (mm2 > 0 ? rf::Significant(mm2, 4) : std::string("-")) + "</td></tr>\n";
  };
  line("all", static_cast<double>(u.etched_weights), u.weights_used_per_token, u.weight_use_fraction,
       u.mac_lane_utilisation, u.transistors, u.die_mm2);
  for (const ChipUtilisation& c : u.chips)
    line("chip " + std::to_string(c.node) + " (" + in.options.skus[c.sku].name + ")",
         static_cast<double>(c.etched_weights), c.weights_used_per_token, c.weight_use_fraction,
         c.mac_lane_utilisation, c.transistors, c.die_mm2);
  h += "</table>\n";
  for (const SkuArea& k : u.skus)
    h += "<p class=\"area-model\">" + E(in.options.skus[k.sku].name) + ": one engine per expert slot, " +
         rf::HumanSi(k.engine_transistors) + " transistors each (" + rf::HumanSi(k.engine_rom_transistors) +
         " of them mask-ROM bits); " + E(k.calibration) +
         ". Expert engines only: no attention chips, I/O, SRAM peripherals or wiring.</p>\n";
  return h;
}

std::string ClusterFacts(const ReportInput& in, const std::string& torus_text) {
  const RunOptions& o = in.options;
  std::string h = "<table id=\"cluster-facts\"><caption>Cluster</caption>\n";
  h += Row("torus", torus_text + " (" + std::to_string(o.num_nodes()) + " chips)");
  h += SkuRows(o);
  h += FabricRows(in);
  h += Row("workload",
           std::to_string(o.workload.num_tokens) + " tokens, " +
               (o.workload.arrival == Arrival::kPoisson
                    ? "Poisson at " + rf::HumanSi(o.workload.rate_tokens_per_s) + " tokens/s"
                    : std::to_string(o.workload.concurrency) + " in flight") +
               ", context " + std::to_string(o.workload.context_length) +
               (in.merged.jobs_dropped ? ", " + std::to_string(in.merged.jobs_dropped) + " jobs dropped (capacity)"
                                       : std::string()));
  h += Row("routing", std::string(RoutingSourceName(o.routing.source)) + (o.timing_only ? " (timing-only)" : "") +
                          ", placement " + PlacementStrategyName(o.placement.strategy));
  h += SkewRow(in);
  h += EnergyRow(in);
  h += Row("fidelity", FidelityName(o.fidelity));
  h += "</table>\n";
  return h;
}

// The six plots: latency CDF and throughput side by side, then four full-width ones.
std::string Plots(const ReportInput& in) {
  std::string h = "<div class=\"plots\">\n";
  h += Section("Latency CDF",
               "Share of tokens whose end-to-end latency (entering the home chip to leaving the "
               "last layer) is at most x; dashed lines mark p50, p90 and p99.",
               LatencyCdf(in), false);
  h += Section("Throughput over simulated time",
               "Tokens finished in each time bin divided by the bin width; the dashed line is "
               "tokens / makespan for the whole run.",
               Throughput(in), false);
  h += Section("Mean latency breakdown",
               "Where a token's time goes (the parts add up to its latency), and where an "
               "expert job's time goes from dispatch until its result is back home.",
               LatencyBreakdown(in), true);
  h += Section("Torus link utilisation",
               "Every directed link coloured by busy (serialisation) time over the makespan. "
               "Hover a link or node for bytes, packets and queue delay.",
               LinkHeatmap(in), true);
  h += Section("Expert load",
               "Jobs per expert in each layer (a token sends one job to each selected expert); "
               "the right column is the busiest routed expert's jobs over the routed mean.",
               ExpertLoad(in), true);
  h += Section("Chip load",
               "Busy fraction of each chip over the makespan: attention chips by core "
               "service time, expert chips by time with a job in a slot.",
               ChipLoad(in), true);
  h += "</div>\n";
  return h;
}

// Simulator and host (machine-dependent figures, kept apart).
std::string HostFooter(const ReportInput& in) {
  const HostInfo& host = in.host;
  std::string h = "<footer>\n<table id=\"host-facts\">\n";
  h += "<tr><td>simulated events</td><td>" + std::to_string(in.merged.events) + "</td><td>RTL cycles</td><td>" +
       std::to_string(in.merged.rtl_cycles_simulated) + "</td></tr>\n";
  h += "<tr><td>ranks</td><td>" + std::to_string(host.ranks) + " (" + E(host.transport) +
       ")</td><td>wall time</td><td>" + rf::Significant(host.wall_seconds, 3) + " s (simulate " +
       rf::Significant(host.simulate_wall_seconds, 3) + " s)</td></tr>\n";
  h += "</table>\n<p>Generated by moefab. Host figures depend on the machine; every other "
       "number is simulated and identical for any rank count.</p>\n</footer>\n";
  return h;
}

}  // namespace

std::string HtmlReport(const ReportInput& in) {
  const RunOptions& o = in.options;
  const std::string model_name = o.model.name.empty() ? "unnamed model" : o.model.name;
  const std::string torus_text = o.torus_dims.empty() ? std::to_string(o.num_nodes()) : Join(o.torus_dims, " × ");
  std::string h = PageHeader(o, model_name, torus_text);
  h += "<section id=\"summary\">\n" + HeadlineCards(in);
  h += "<div class=\"facts\">\n" + ModelFacts(o.model, model_name) + ClusterFacts(in, torus_text) +
       UtilisationTable(in) + "</div>\n</section>\n";
  h += Plots(in);
  h += HostFooter(in);
  h += "</main>\n</body>\n</html>\n";
  return h;
}

void WriteHtmlReport(const std::string& dir, const ReportInput& in) {
  WriteFileAtomically(dir, "report.html", HtmlReport(in));
}

}  // namespace moefab
