// The textbook saturation of a load sweep (traffic.h FindSaturation): accepted throughput is
// the delivered flits per node per cycle, and the sweep saturates at the lowest offered load
// where accepted stops tracking offered or latency passes 3x zero-load. Pinned on synthetic
// points (each criterion alone, and the twisted-torus case that used to be called saturated)
// and on tornado traffic on an 8x8 torus, whose known answer is the channel-load bound 1/3.
#include <gtest/gtest.h>

#include <vector>

#include "fabric/traffic.h"

namespace moefab::fabric {
namespace {

LoadPoint Point(double offered, double delivered, double latency, bool drained = true, double bottleneck = -1) {
  LoadPoint p;
  p.offered = offered;
  p.mean_accepted = delivered;
  p.accepted = bottleneck < 0 ? delivered : bottleneck;
  p.mean_latency_cycles = latency;
  p.all_delivered = drained;
  return p;
}

TEST(SaturationTest, DeliveredFollowsOfferedAtFlatLatencyIsNotSaturation) {
  // The twisted 4x4x8 torus with adaptive routing: everything delivered at flat latency, while
  // the rate at the deterministic routes' bottleneck is below the offered load.
  const std::vector<LoadPoint> points = {Point(0.1, 0.1, 30, true, 0.1), Point(0.2, 0.2, 31, true, 0.15),
                                         Point(0.5, 0.5, 33, true, 0.2), Point(0.8, 0.79, 40, true, 0.2)};
  const Saturation s = FindSaturation(points);
  EXPECT_EQ(s.index, points.size());
  EXPECT_EQ(s.offered, 0.0);
  EXPECT_EQ(s.reason, "");
  EXPECT_DOUBLE_EQ(s.zero_load_latency_cycles, 30);
  EXPECT_DOUBLE_EQ(s.peak_accepted, 0.79);
  EXPECT_EQ(s.Text(0.8),
            "no saturation up to offered 0.800; zero-load latency 30.0 cycles; peak accepted 0.790 flits/node/cycle");
}

TEST(SaturationTest, EachCriterionAlone) {
  // Accepted below 0.95 x offered.
  Saturation s = FindSaturation({Point(0.1, 0.1, 30), Point(0.4, 0.37, 60), Point(0.6, 0.4, 500)});
  EXPECT_EQ(s.index, 1u);
  EXPECT_DOUBLE_EQ(s.offered, 0.4);
  EXPECT_DOUBLE_EQ(s.accepted, 0.37);
  EXPECT_EQ(s.reason, "accepted 0.370 < 0.95 x offered");
  // Latency past 3x zero-load (30 cycles at the lowest load), accepted still tracking.
  s = FindSaturation({Point(0.1, 0.1, 30), Point(0.4, 0.4, 89), Point(0.5, 0.5, 91)});
  EXPECT_DOUBLE_EQ(s.offered, 0.5);
  EXPECT_EQ(s.reason, "mean latency 91.0 cycles > 3 x zero-load 30.0");
  EXPECT_EQ(s.Text(0.5).rfind("saturation at offered 0.500 (mean latency 91.0 cycles > 3 x zero-load 30.0)", 0), 0u);
  // Not drained.
  s = FindSaturation({Point(0.1, 0.1, 30), Point(0.3, 0.3, 40, false)});
  EXPECT_DOUBLE_EQ(s.offered, 0.3);
  EXPECT_EQ(s.reason, "measured packets not drained");
  // The loads need not be sorted: the lowest saturating one counts, zero-load from the lowest.
  s = FindSaturation({Point(0.8, 0.5, 900), Point(0.1, 0.1, 30), Point(0.6, 0.5, 300)});
  EXPECT_DOUBLE_EQ(s.offered, 0.6);
  EXPECT_DOUBLE_EQ(s.zero_load_latency_cycles, 30);
}

TEST(SaturationTest, TornadoOn8x8SaturatesAtItsBoundOfOneThird) {
  TopologyOptions t;
  t.kind = TopologyKind::kTorus;
  t.dims = {8, 8};
  t.link = {50000, 1280};
  NetworkOptions o;
  o.router_delay_ps = 1280;
  o.mtu_bytes = 240;
  o.buffer_flits = 256;
  TrafficOptions tr;
  tr.pattern = TrafficPattern::kTornado;
  tr.measure_cycles = 2000;
  tr.drain_cycles = 3000;
  const std::vector<double> loads = {0.05, 0.15, 0.25, 0.45};
  int rows = 0;
  const SweepResult r = RunSweep(t, o, tr, loads, [&rows](const LoadPoint&) { ++rows; });
  EXPECT_EQ(rows, 4);  // each row handed out as it is measured
  // Below the bound accepted tracks offered; 0.45 is past 1/3: accepted <= the bound.
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(r.points[i].mean_accepted, loads[i], 0.02) << r.Table();
  EXPECT_LE(r.points[3].mean_accepted, 1.01 / 3) << r.Table();
  EXPECT_DOUBLE_EQ(r.saturation.offered, 0.45) << r.Table();
  // Past the bound DOR's accepted throughput falls (tornado most): below 0.95 x offered.
  EXPECT_EQ(r.saturation.reason.rfind("accepted 0.", 0), 0u) << r.Table();
  EXPECT_LT(r.saturation.accepted, 0.95 * 0.45) << r.Table();
  EXPECT_EQ(r.saturation_offered, r.saturation.offered);
  EXPECT_NE(r.Table().find("saturation at offered 0.450 (accepted 0."), std::string::npos) << r.Table();
  EXPECT_GE(r.saturation.peak_accepted, 0.24) << r.Table();  // the sweep's best, 0.25 offered
}

}  // namespace
}  // namespace moefab::fabric
