// `moefab fabric-bench CONFIG [--out DIR]`: synthetic traffic on the fabric alone (the
// credit-based network of fabric/network.h). For each pattern of fabric.bench, a sweep of
// offered loads (Bernoulli injection): accepted throughput (delivered flits per node per
// cycle), mean/p99 latency and link utilisation per load, the saturation point (textbook
// definitions: fabric::FindSaturation) and the channel-load bound; then a bulk all-to-all,
// also on the twisted (or regular) counterpart of the torus when one exists. Every row is
// printed and flushed as soon as it is measured; writes DIR/fabric_bench.csv and .txt.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "fabric/driver.h"
#include "runtime/commands/commands.h"
#include "runtime/config/fabric_options.h"
#include "runtime/results/results.h"

namespace moefab {

namespace {

// Prints `s` on stdout at once (and keeps it for DIR/fabric_bench.txt): a batch job whose
// stdout is a pipe or a file sees each row as it is produced.
void Emit(std::ostringstream& text, const std::string& s) {
  text << s;
  std::fputs(s.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

int FabricBenchCommand(const CommandArgs& args) {
  const FabricModelOptions o = LoadFabricModel(args.config_path);
  std::ostringstream csv, text;
  csv << "pattern,offered_flits_per_node_cycle,accepted_flits_per_node_cycle,"
         "bottleneck_served_flits_per_node_cycle,mean_latency_cycles,p99_latency_cycles,"
         "max_link_utilisation,mean_link_utilisation,all_delivered\n";
  const auto network = fabric::Network::Make(o.topology, o.network);
  std::ostringstream head;
  head << "fabric " << o.kind_name << ", " << o.num_nodes << " nodes, cycle " << fabric::CyclePs(*network)
       << " ps (one " << o.network.flit_bytes << "-byte flit)\n"
       << "accepted = delivered flits per node per cycle; saturation = the lowest offered load where accepted\n"
       << "falls below 0.95 x offered (or packets do not drain) or mean latency passes 3 x zero-load latency\n"
       << "(the latency at the lowest offered load); bottleneck = the rate the pattern's most loaded\n"
       << "channels served (<= the channel-load bound)\n";
  Emit(text, head.str());
  for (auto pattern : o.patterns) {
    fabric::TrafficOptions traffic = o.traffic;
    traffic.pattern = pattern;
    const double bound = fabric::ChannelLoadBound(*network, traffic);
    std::ostringstream title;
    title << "\n" << TrafficPatternName(pattern) << ": channel-load bound " << bound << " flits/node/cycle\n";
    Emit(text, title.str() + fabric::SweepResult::Header());
    double max_offered = 0;
    const auto sweep = fabric::RunSweep(o.topology, o.network, traffic, o.loads, [&](const fabric::LoadPoint& p) {
      Emit(text, fabric::SweepResult::Row(p));
      max_offered = std::max(max_offered, p.offered);
    });
    Emit(text, TrafficPatternName(pattern) + std::string(": ") + sweep.saturation.Text(max_offered) + "\n");
    for (const auto& p : sweep.points)
      csv << TrafficPatternName(pattern) << ',' << p.offered << ',' << p.mean_accepted << ',' << p.accepted << ','
          << p.mean_latency_cycles << ',' << p.p99_latency_cycles << ',' << p.max_link_utilisation << ','
          << p.mean_link_utilisation << ',' << (p.all_delivered ? 1 : 0) << '\n';
  }
  if (o.all_to_all_bytes > 0) {
    const auto a2a = fabric::RunAllToAll(o.topology, o.network, o.all_to_all_bytes);
    std::ostringstream line;
    line << "\nall-to-all, " << o.all_to_all_bytes << " B per pair, " << o.kind_name << ": "
         << static_cast<double>(a2a.completion_ps) / 1e6 << " us to complete, mean message "
         << a2a.mean_message_latency_ps / 1e6 << " us\n";
    Emit(text, line.str());
    // The counterpart: a regular torus vs the twisted one of the same shape.
    fabric::TopologyOptions other = o.topology;
    const bool twisted = o.topology.kind == fabric::TopologyKind::kTwistedTorus;
    if ((o.topology.kind == fabric::TopologyKind::kTorus || twisted) &&
        !fabric::DefaultTwists(o.topology.dims).empty()) {
      other.kind = twisted ? fabric::TopologyKind::kTorus : fabric::TopologyKind::kTwistedTorus;
      other.twists.clear();
      const auto b = fabric::RunAllToAll(other, o.network, o.all_to_all_bytes);
      std::ostringstream other_line;
      other_line << "all-to-all on the " << (twisted ? "regular" : "twisted")
                 << " torus of the same shape: " << static_cast<double>(b.completion_ps) / 1e6 << " us\n";
      Emit(text, other_line.str());
    }
  }
  if (!args.out_dir.empty()) {
    WriteFileAtomically(args.out_dir, "fabric_bench.csv", csv.str());
    WriteFileAtomically(args.out_dir, "fabric_bench.txt", text.str());
    std::printf("wrote %s/fabric_bench.csv\n", args.out_dir.c_str());
  }
  return 0;
}

}  // namespace moefab
