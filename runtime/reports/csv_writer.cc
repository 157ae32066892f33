// tokens.csv, links.csv, chips.csv, experts.csv (see csv_writer.h).
#include "runtime/reports/csv_writer.h"

#include <initializer_list>

#include "runtime/reports/format.h"

namespace moefab {

namespace {
namespace rf = report_format;

// Appends one CSV row (fields already formatted) and a '\n'.
void Row(std::string& out, std::initializer_list<std::string> fields) {
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out += ',';
    out += f;
    first = false;
  }
  out += '\n';
}

std::string U(uint64_t v) {
  return std::to_string(v);
}

// x, y, z of `node`, or three empty fields when the node is outside the torus.
struct CoordText {
  std::string x, y, z;
};
CoordText CoordOf(const fabric::Torus& torus, NodeId node) {
  if (node >= torus.num_nodes()) return {};
  const auto c = torus.Coord(node);
  return {U(c[0]), U(c[1]), U(c[2])};
}
}  // namespace

std::string TokensCsv(const ReportInput& in) {
  std::string out;
  Row(out, {"id", "home", "start_ns", "end_ns", "latency_ns", "attention_ns", "gate_ns", "expert_phase_ns",
            "combine_ns", "core_queue_ns"});
  for (const auto& t : in.merged.tokens) {
    const auto& b = t.breakdown;
    Row(out, {U(t.id), U(t.home), rf::PsToNs(t.start_ps), rf::PsToNs(t.end_ps), rf::PsToNs(t.end_ps - t.start_ps),
              rf::PsToNs(b.attention_ps), rf::PsToNs(b.gate_ps), rf::PsToNs(b.expert_phase_ps),
              rf::PsToNs(b.combine_ps), rf::PsToNs(b.core_queue_ps)});
  }
  return out;
}

std::string LinksCsv(const ReportInput& in) {
  const fabric::Torus torus = TorusOf(in.options);
  std::string out;
  Row(out, {"index", "from", "to", "port", "direction", "from_x", "from_y", "from_z", "to_x", "to_y", "to_z", "bytes",
            "packets", "busy_ns", "utilisation", "peak_waiting_packets", "peak_buffer_flits", "optical"});
  for (const auto& l : in.merged.links) {
    const CoordText a = CoordOf(torus, l.from), b = CoordOf(torus, l.to);
    Row(out, {U(l.index), U(l.from), U(l.to), U(l.port), PortName(l.port), a.x, a.y, a.z, b.x, b.y, b.z, U(l.bytes),
              U(l.packets), rf::PsToNs(l.busy_ps), rf::Shortest(LinkUtilisation(l, in.summary)),
              U(l.peak_waiting_packets), U(l.peak_buffer_flits), U(l.optical)});
  }
  return out;
}

std::string ChipsCsv(const ReportInput& in) {
  const fabric::Torus torus = TorusOf(in.options);
  std::string out;
  Row(out, {"node", "x", "y", "z", "sku", "kind", "busy_fraction", "jobs", "slots", "mean_active_slots",
            "max_ingress_jobs"});
  for (const auto& c : in.merged.chips) {
    const CoordText p = CoordOf(torus, c.node);
    std::string sku = "?", kind = "?";
    if (c.sku < in.options.skus.size()) {
      sku = rf::CsvField(in.options.skus[c.sku].name);
      kind = ChipKindName(in.options.skus[c.sku].kind);
    }
    Row(out, {U(c.node), p.x, p.y, p.z, sku, kind, rf::Shortest(ChipBusyFraction(c, in.summary)), U(c.jobs), U(c.slots),
              rf::Shortest(ChipMeanActiveSlots(c, in.summary)), U(c.max_ingress)});
  }
  return out;
}

std::string ExpertsCsv(const ReportInput& in) {
  const auto& m = in.options.model;
  std::string out;
  Row(out, {"layer", "expert", "shared", "jobs", "share_of_layer"});
  for (uint32_t layer = 0; layer < m.num_layers; ++layer) {
    uint64_t layer_jobs = 0;
    for (uint32_t e = 0; e < m.experts_per_layer(); ++e) layer_jobs += ExpertJobs(in, layer, e);
    for (uint32_t e = 0; e < m.experts_per_layer(); ++e) {
      const uint64_t jobs = ExpertJobs(in, layer, e);
      const double share = layer_jobs ? static_cast<double>(jobs) / static_cast<double>(layer_jobs) : 0.0;
      Row(out, {U(layer), U(e), e >= m.num_experts ? "1" : "0", U(jobs), rf::Shortest(share)});
    }
  }
  return out;
}

void WriteCsvReports(const std::string& dir, const ReportInput& in) {
  WriteFileAtomically(dir, "tokens.csv", TokensCsv(in));
  WriteFileAtomically(dir, "links.csv", LinksCsv(in));
  WriteFileAtomically(dir, "chips.csv", ChipsCsv(in));
  WriteFileAtomically(dir, "experts.csv", ExpertsCsv(in));
}

}  // namespace moefab
