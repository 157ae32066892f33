// Link timing: serialization rounding on both sides of a boundary, store-and-forward queueing
// and stats, the zero-load latency formula and the PDES lookahead.
#include "fabric/link.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace moefab::fabric {
namespace {

TEST(SerializationPsTest, ExactWhenBandwidthDividesEvenly) {
  // 50000 MB/s = 50 bytes/ns = 20 ps per byte.
  EXPECT_EQ(SerializationPs(0, 50000), 0u);
  EXPECT_EQ(SerializationPs(1, 50000), 20u);
  EXPECT_EQ(SerializationPs(4096, 50000), 81920u);
  EXPECT_EQ(SerializationPs(1, 1), 1000000u);  // 1 MB/s: 1 us per byte
}

TEST(SerializationPsTest, RoundsUpAtTheBoundary) {
  // 3 MB/s: 1e6/3 = 333333.33 ps per byte.
  EXPECT_EQ(SerializationPs(1, 3), 333334u);
  EXPECT_EQ(SerializationPs(3, 3), 1000000u);
  // 7 MB/s: 7 bytes take exactly 1e6 ps; one byte fewer takes ceil(6e6/7) = 857143.
  EXPECT_EQ(SerializationPs(7, 7), 1000000u);
  EXPECT_EQ(SerializationPs(6, 7), 857143u);
  // bytes * 1e6 exactly a multiple of bw (t) vs one less byte (t-1 side rounds up).
  EXPECT_EQ(SerializationPs(30000, 30000000), 1000u);
  EXPECT_EQ(SerializationPs(29999, 30000000), 1000u);   // 999.97 -> 1000
  EXPECT_EQ(SerializationPs(29970, 30000000), 999u);    // exactly 999
  EXPECT_EQ(SerializationPs(29971, 30000000), 1000u);   // 999.03 -> 1000
}

TEST(SerializationPsTest, NoOverflowForLargePackets) {
  const std::uint64_t bytes = (std::uint64_t{1} << 32) - 1;
  EXPECT_EQ(SerializationPs(bytes, 1), bytes * 1000000u);
  EXPECT_EQ(SerializationPs(bytes, 50000), bytes * 20u);
  EXPECT_EQ(SerializationPs(bytes, 3), (bytes * 1000000u + 2) / 3);
  EXPECT_EQ(SerializationPs(std::uint64_t{1} << 50, 1u << 20), (std::uint64_t{1} << 30) * 1000000u);
}

TEST(LinkParamsTest, ValidateRejectsZeroBandwidth) {
  LinkParams params{.router_delay_ps = 1, .wire_latency_ps = 1, .bandwidth_mbytes_per_s = 0};
  try {
    ValidateLinkParams(params);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bandwidth_mbytes_per_s=0"), std::string::npos);
  }
  params.bandwidth_mbytes_per_s = 50000;
  EXPECT_NO_THROW(ValidateLinkParams(params));
}

constexpr LinkParams kParams{
    .router_delay_ps = 300, .wire_latency_ps = 5000, .bandwidth_mbytes_per_s = 50000};

TEST(SendOnLinkTest, IdleLinkDepartsImmediately) {
  LinkState link;
  const HopTiming t = SendOnLink(link, 1000, 100, kParams);  // ser = 2000 ps
  EXPECT_EQ(t.depart_ps, 1000u);
  EXPECT_EQ(t.arrive_ps, 1000u + 2000u + 5000u);
  EXPECT_EQ(link.free_at_ps, 3000u);
  EXPECT_EQ(link.bytes, 100u);
  EXPECT_EQ(link.packets, 1u);
  EXPECT_EQ(link.busy_ps, 2000u);
  EXPECT_EQ(link.max_queue_delay_ps, 0u);
}

TEST(SendOnLinkTest, SecondPacketQueuesBehindFirst) {
  LinkState link;
  const HopTiming a = SendOnLink(link, 1000, 100, kParams);
  const HopTiming b = SendOnLink(link, 1500, 50, kParams);  // link busy until 3000
  EXPECT_EQ(b.depart_ps, a.depart_ps + 2000u);
  EXPECT_EQ(b.arrive_ps, 3000u + 1000u + 5000u);
  EXPECT_EQ(link.max_queue_delay_ps, 1500u);
  EXPECT_EQ(link.busy_ps, 3000u);
  EXPECT_EQ(link.packets, 2u);
  EXPECT_EQ(link.bytes, 150u);
}

TEST(SendOnLinkTest, ReadyExactlyWhenFreeDoesNotWait) {
  LinkState link;
  (void)SendOnLink(link, 0, 100, kParams);                 // free at 2000
  const HopTiming at_t = SendOnLink(link, 4000, 100, kParams);  // idle gap: no wait
  EXPECT_EQ(at_t.depart_ps, 4000u);
  const HopTiming at_free = SendOnLink(link, 6000, 100, kParams);  // ready == free_at (t)
  EXPECT_EQ(at_free.depart_ps, 6000u);
  EXPECT_EQ(link.max_queue_delay_ps, 0u);
  const HopTiming before_free = SendOnLink(link, 7999, 100, kParams);  // free at 8000 (t-1)
  EXPECT_EQ(before_free.depart_ps, 8000u);
  EXPECT_EQ(link.max_queue_delay_ps, 1u);
}

TEST(LinkFormulaTest, ZeroLoadLatencyAndLookahead) {
  // 3 hops of 4096 bytes: 3 * (300 + 81920 + 5000) + 300.
  EXPECT_EQ(ZeroLoadLatencyPs(3, 4096, kParams), 3u * 87220u + 300u);
  EXPECT_EQ(ZeroLoadLatencyPs(0, 4096, kParams), 300u);  // local delivery: ejection only
  EXPECT_EQ(MinHopDelayPs(kParams), 5300u);
}

}  // namespace
}  // namespace moefab::fabric
