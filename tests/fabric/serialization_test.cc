// Serialization time: exact values, rounding on both sides of a boundary, no overflow.
#include "fabric/serialization.h"

#include <gtest/gtest.h>

#include <cstdint>

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
  EXPECT_EQ(SerializationPs(29999, 30000000), 1000u);  // 999.97 -> 1000
  EXPECT_EQ(SerializationPs(29970, 30000000), 999u);   // exactly 999
  EXPECT_EQ(SerializationPs(29971, 30000000), 1000u);  // 999.03 -> 1000
}

TEST(SerializationPsTest, NoOverflowForLargePackets) {
  const std::uint64_t bytes = (std::uint64_t{1} << 32) - 1;
  EXPECT_EQ(SerializationPs(bytes, 1), bytes * 1000000u);
  EXPECT_EQ(SerializationPs(bytes, 50000), bytes * 20u);
  EXPECT_EQ(SerializationPs(bytes, 3), (bytes * 1000000u + 2) / 3);
  EXPECT_EQ(SerializationPs(std::uint64_t{1} << 50, 1u << 20), (std::uint64_t{1} << 30) * 1000000u);
}

}  // namespace
}  // namespace moefab::fabric
