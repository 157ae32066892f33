// report.html: the torus link-utilisation heat map.
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "runtime/reports/html_plots.h"
#include "runtime/reports/svg.h"

namespace moefab::report_svg {
// Link heat map ----------------------------------------------------------------------------

namespace {

// Below the planes at height `ly`: colour bar, node kinds, line styles (3D adds the z marks).
void HeatmapLegend(Svg& s, double ly, const Axis& scale, bool three_d) {
  ColourBar(s, 24, ly, 260, scale, "link utilisation (busy time / makespan)", PercentLabel);
  double lx = 320;
  lx = LegendItem(s, lx, ly + 2, kAttentionFill, "attention chip", kAttentionStroke);
  LegendItem(s, lx, ly + 2, kExpertFill, "expert chip", kExpertStroke);
  s.Line(320, ly + 24, 344, ly + 24, "#6b7280", 3, "stroke-dasharray=\"6,3\"");
  s.Text(350, ly + 28, "wrap-around link (leaves one edge, enters the opposite one)", "start", "class=\"legend\"");
  s.Line(320, ly + 44, 344, ly + 44, kNoTraffic, 2);
  s.Text(350, ly + 48,
         three_d ? "no traffic · lower squares in a node: left −z, right +z link"
                 : "no traffic · each link keeps to the right of its direction",
         "start", "class=\"legend\"");
}

}  // namespace

std::string LinkHeatmap(const ReportInput& in) {
  const fabric::Torus torus = TorusOf(in.options);
  const auto& dims = torus.dims();
  const uint32_t kx = dims[0], ky = dims.size() > 1 ? dims[1] : 1, kz = dims.size() > 2 ? dims[2] : 1;
  const uint32_t longest = std::max(kx, ky);
  // Planes side by side (2 or 3 per row) within about 1200 user units; node spacing follows.
  const uint32_t per_row = kz == 1 ? 1 : std::min(kz, longest <= 4 ? 3u : 2u);
  const double sp = std::clamp((1200.0 / per_row - 60) / (longest + 0.7), 44.0, 120.0);
  const double box = std::min(40.0, sp * 0.46);  // node box side
  const double stub = sp * 0.32;                 // wrap-around stub length
  const double plane_w = kx * sp + 2 * stub + 24, plane_h = ky * sp + 2 * stub + 30;
  const uint32_t rows = (kz + per_row - 1) / per_row;
  const double width = std::max(820.0, per_row * plane_w + 40);
  const double legend_h = 110;
  Svg s("link-heatmap", width, rows * plane_h + legend_h + 10, "Link utilisation heat map");

  // Records by dense link index; links absent from the report carried nothing.
  std::map<uint32_t, const LinkRecord*> by_index;
  for (const auto& l : in.merged.links) by_index[l.index] = &l;
  double max_util = 0;
  for (const auto& l : in.merged.links) max_util = std::max(max_util, LinkUtilisation(l, in.summary));
  const Axis scale = NiceAxis(0, max_util > 0 ? max_util : 1, 5);
  std::map<NodeId, const ChipRecord*> chip_of;
  for (const auto& c : in.merged.chips) chip_of[c.node] = &c;

  auto link_info = [&](NodeId node, fabric::PortId port, std::string& colour, std::string& tip) {
    const auto it = by_index.find(torus.LinkIndex(node, port));
    // The far end as wired (twisted and OCS links differ from the grid neighbour).
    const NodeId to = it != by_index.end() ? it->second->to : torus.Neighbor(node, port);
    tip = "link " + std::to_string(node) + " → " + std::to_string(to) + " (" + PortName(port) + ")";
    if (it == by_index.end() || it->second->bytes == 0) {
      colour = kNoTraffic;
      tip += ": no traffic";
      return false;
    }
    const LinkRecord& l = *it->second;
    const double u = LinkUtilisation(l, in.summary);
    colour = Heat((u - scale.lo) / (scale.hi - scale.lo));
    tip += ": utilisation " + Percent(u) + ", " + std::to_string(l.bytes) + " bytes, " + std::to_string(l.packets) +
           " packets, peak " + std::to_string(l.peak_waiting_packets) + " packets waiting, peak far-end buffer " +
           std::to_string(l.peak_buffer_flits) + " flits";
    return true;
  };

  for (uint32_t z = 0; z < kz; ++z) {
    const double ox = (width - per_row * plane_w) / 2 + (z % per_row) * plane_w;
    const double oy = 10 + (z / per_row) * plane_h;
    s.Raw("<g class=\"plane\" data-z=\"" + std::to_string(z) + "\">\n");
    if (kz > 1) s.Text(ox + plane_w / 2 - 12, oy + 14, "z = " + std::to_string(z), "middle", "class=\"row-title\"");
    const double gx = ox + stub, gy = oy + 22 + stub;  // grid origin
    auto centre = [&](uint32_t x, uint32_t y) {
      return std::pair<double, double>{gx + (x + 0.5) * sp, gy + (y + 0.5) * sp};
    };
    // Links in x and y: drawn before the nodes so the boxes sit on top.
    for (uint32_t y = 0; y < ky; ++y) {
      for (uint32_t x = 0; x < kx; ++x) {
        const NodeId node = torus.Node({x, y, z});
        for (fabric::PortId port = 0; port < std::min<uint32_t>(4, torus.num_ports()); ++port) {
          if (!torus.HasLink(node, port)) continue;
          std::string colour, tip;
          const bool used = link_info(node, port, colour, tip);
          const uint32_t dim = port / 2;
          const double dir = port % 2 == 0 ? 1 : -1;
          const double ux = dim == 0 ? dir : 0, uy = dim == 1 ? dir : 0;
          const double nx = -uy * 5.5, ny = ux * 5.5;  // keep right of the direction of travel
          const uint32_t k = dim == 0 ? kx : ky, c = dim == 0 ? x : y;
          const bool wraps = (dir > 0 && c == k - 1) || (dir < 0 && c == 0);
          const double w = used ? 4 : 2;
          const std::string style =
              std::string("class=\"link\" stroke-linecap=\"round\"") + (wraps ? " stroke-dasharray=\"6,3\"" : "");
          const auto [ax, ay] = centre(x, y);
          const double edge = box / 2 + 4;
          if (!wraps) {
            const NodeId to = torus.Neighbor(node, port);
            const auto tc = torus.Coord(to);
            const auto [bx, by] = centre(tc[0], tc[1]);
            const double x1 = ax + ux * edge + nx, y1 = ay + uy * edge + ny;
            const double x2 = bx - ux * (edge + 3) + nx, y2 = by - uy * (edge + 3) + ny;
            s.Line(x1, y1, x2, y2, colour, w, style, tip);
            s.Arrowhead(bx - ux * edge + nx, by - uy * edge + ny, ux, uy, 7, colour, tip);
          } else {
            // Leaves past the grid edge and comes back in on the opposite side.
            const NodeId to = torus.Neighbor(node, port);
            const auto tc = torus.Coord(to);
            const auto [bx, by] = centre(tc[0], tc[1]);
            s.Line(ax + ux * edge + nx, ay + uy * edge + ny, ax + ux * (edge + stub) + nx, ay + uy * (edge + stub) + ny,
                   colour, w, style, tip);
            s.Line(bx - ux * (edge + stub) + nx, by - uy * (edge + stub) + ny, bx - ux * (edge + 3) + nx,
                   by - uy * (edge + 3) + ny, colour, w, style, tip);
            s.Arrowhead(bx - ux * edge + nx, by - uy * edge + ny, ux, uy, 7, colour, tip);
          }
        }
      }
    }
    // Nodes, with z links (3D) as two marks inside the box.
    for (uint32_t y = 0; y < ky; ++y) {
      for (uint32_t x = 0; x < kx; ++x) {
        const NodeId node = torus.Node({x, y, z});
        const auto [cx, cy] = centre(x, y);
        const bool attention = node < in.options.num_nodes() && in.options.SkuOf(node).kind == ChipKind::kAttention;
        std::string tip = "node " + std::to_string(node) + " (x=" + std::to_string(x) + ", y=" + std::to_string(y) +
                          (kz > 1 ? ", z=" + std::to_string(z) : "") + ")";
        if (node < in.options.num_nodes())
          tip += ": " + in.options.SkuOf(node).name + ", " + ChipKindName(in.options.SkuOf(node).kind);
        if (const auto it = chip_of.find(node); it != chip_of.end())
          tip += ", busy " + Percent(ChipBusyFraction(*it->second, in.summary));
        s.Rect(cx - box / 2, cy - box / 2, box, box, attention ? kAttentionFill : kExpertFill,
               std::string("class=\"node\" rx=\"4\" stroke-width=\"1.5\" stroke=\"") +
                   (attention ? kAttentionStroke : kExpertStroke) + "\"",
               tip);
        s.Text(cx, kz > 1 ? cy - 2 : cy + 4, std::to_string(node), "middle", "class=\"node-label\"");
        if (kz > 1) {
          for (fabric::PortId port = 4; port < 6; ++port) {
            if (!torus.HasLink(node, port)) continue;
            std::string colour, ztip;
            link_info(node, port, colour, ztip);
            const double mx = port == 4 ? cx + 1.5 : cx - box / 2 + 3.5;
            s.Rect(mx, cy + 4, box / 2 - 5, box / 2 - 7, colour,
                   "class=\"zlink\" stroke=\"#6b7280\" stroke-width=\"0.6\"", ztip);
          }
        }
      }
    }
    // Axis hints.
    s.Text(gx + kx * sp / 2, gy + ky * sp + stub + 4, "x →", "middle", "class=\"note\"");
    if (ky > 1) s.Text(gx - stub - 2, gy + ky * sp / 2, "y ↓", "end", "class=\"note\"");
    s.Raw("</g>\n");
  }
  HeatmapLegend(s, rows * plane_h + 36, scale, kz > 1);
  return s.Finish();
}

}  // namespace moefab::report_svg
