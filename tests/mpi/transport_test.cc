// Run under mpiexec at 1, 2 and 4 ranks. Both transports ("mpi" and "ucx", through
// MakeTransport) must deliver exactly the bytes each rank sent to each rank, over many windows
// with random sizes from 0 to 1 MiB, give the expected collectives, and agree byte for byte
// with each other on the same inputs. Every buffer's content is a function of (round, source,
// destination), so each receiver checks what it got without further communication.
#include <mpi.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/pdes/window_record.h"
#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/ucx_transport.h"

namespace moefab {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

// Size of the buffer from `src` to `dst` in `round`: zero often, small, odd, 4 KiB..64 KiB,
// and now and then 1 MiB (exactly, or one byte off, to hit protocol thresholds). All ranks
// compute the same value.
size_t SizeOf(uint64_t seed, uint32_t round, RankId src, RankId dst) {
  std::mt19937_64 g(seed ^ (uint64_t{round} << 40) ^ (uint64_t{src} << 20) ^ dst);
  switch (g() % 8) {
    case 0:
    case 1:
      return 0;
    case 2:
      return 1 + g() % 64;
    case 3:
      return 1 + g() % 4096;
    case 4:
      return 4096 + g() % (64 * 1024);
    case 5:
      return 8191 + g() % 3;  // around the 8 KiB eager/rendezvous switch of many tls
    case 6:
      return round % 4 == 0 ? kMiB - 1 + g() % 3 : g() % 256;
    default:
      return g() % 2048;
  }
}

Bytes Pattern(uint64_t seed, uint32_t round, RankId src, RankId dst) {
  Bytes b(SizeOf(seed, round, src, dst));
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + (uint64_t{round} << 32) + (uint64_t{src} << 16) + dst;
  for (auto& byte : b) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    byte = static_cast<std::byte>(x);
  }
  return b;
}

// Runs `rounds` windows of Exchange on `t`; checks every buffer; returns what this rank got.
std::vector<std::vector<Bytes>> RunRounds(Transport& t, uint64_t seed, uint32_t rounds) {
  std::vector<std::vector<Bytes>> got;
  const RankId me = t.rank();
  for (uint32_t round = 0; round < rounds; ++round) {
    std::vector<Bytes> out(t.size());
    for (RankId d = 0; d < t.size(); ++d) out[d] = Pattern(seed, round, me, d);
    auto in = t.Exchange(out);
    EXPECT_EQ(in.size(), t.size());
    for (RankId s = 0; s < t.size() && s < in.size(); ++s) {
      const Bytes want = Pattern(seed, round, s, me);
      EXPECT_EQ(in[s].size(), want.size()) << "round " << round << " from rank " << s;
      EXPECT_TRUE(in[s] == want) << "round " << round << " from rank " << s << " to rank " << me << ": wrong bytes";
    }
    got.push_back(std::move(in));
  }
  return got;
}

// True on every rank iff `ok` on every rank.
bool AllRanks(bool ok) {
  int local = ok ? 1 : 0, global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return global == 1;
}

class TransportTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Transport> Make() { return MakeTransport(GetParam(), MPI_COMM_WORLD); }
};

TEST_P(TransportTest, RankAndSizeMatchMpi) {
  auto t = Make();
  int r = 0, s = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  EXPECT_EQ(t->rank(), static_cast<RankId>(r));
  EXPECT_EQ(t->size(), static_cast<RankId>(s));
}

TEST_P(TransportTest, ExchangeDeliversExactBytes) {
  auto t = Make();
  RunRounds(*t, 1234, 40);
  EXPECT_TRUE(AllRanks(!HasFailure()));
}

TEST_P(TransportTest, ExchangeAllEmptyAndAllLarge) {
  auto t = Make();
  const RankId n = t->size();
  for (int round = 0; round < 20; ++round) {
    const size_t len = round % 2 == 0 ? 0 : kMiB;
    std::vector<Bytes> out(n);
    for (RankId d = 0; d < n; ++d) out[d].assign(len, static_cast<std::byte>(t->rank() * 16 + d + round));
    const auto in = t->Exchange(out);
    ASSERT_EQ(in.size(), n);
    for (RankId s = 0; s < n; ++s)
      EXPECT_EQ(in[s], Bytes(len, static_cast<std::byte>(s * 16 + t->rank() + round)))
          << "round " << round << " from rank " << s;
  }
}

// Ranks run out of step: a fast rank posts window k+1 while a slow one still receives window k.
// The window number in the tag keeps them apart.
TEST_P(TransportTest, ExchangeWindowsNeverMixWhenRanksSkew) {
  auto t = Make();
  const RankId me = t->rank();
  for (uint32_t round = 0; round < 30; ++round) {
    if (t->size() > 1 && me == round % t->size()) usleep(2000);  // this rank lags this round
    std::vector<Bytes> out(t->size());
    for (RankId d = 0; d < t->size(); ++d) out[d] = Pattern(77, round, me, d);
    const auto in = t->Exchange(out);
    for (RankId s = 0; s < t->size(); ++s)
      EXPECT_TRUE(in[s] == Pattern(77, round, s, me)) << "round " << round << " from " << s;
  }
}

// The engine's pattern: agree on the window start, then swap the events.
TEST_P(TransportTest, CollectivesInterleavedWithExchange) {
  auto t = Make();
  const RankId me = t->rank(), n = t->size();
  for (uint32_t round = 0; round < 25; ++round) {
    EXPECT_EQ(t->AllreduceMin(1000 + 7 * me + round), 1000u + round);
    std::vector<Bytes> out(n);
    for (RankId d = 0; d < n; ++d) out[d] = Pattern(99, round, me, d);
    const auto in = t->Exchange(out);
    for (RankId s = 0; s < n; ++s) EXPECT_TRUE(in[s] == Pattern(99, round, s, me));
  }
}

TEST_P(TransportTest, Collectives) {
  auto t = Make();
  const RankId me = t->rank(), n = t->size();
  EXPECT_EQ(t->AllreduceMin(Tick{5} + me), Tick{5});
  EXPECT_EQ(t->AllreduceMin(kTickMax - me), kTickMax - (n - 1));
  EXPECT_EQ(t->AllreduceMin(kTickMax), kTickMax);
  EXPECT_EQ(t->AllreduceMax(Tick{5} + me), Tick{5} + n - 1);
  EXPECT_EQ(t->AllreduceMax(0), Tick{0});
  EXPECT_EQ(t->AllreduceSum(me + 1), uint64_t{n} * (n + 1) / 2);
  EXPECT_EQ(t->AllreduceSum(uint64_t{1} << 40), (uint64_t{1} << 40) * n);

  for (uint32_t round = 0; round < 4; ++round) {
    const Bytes mine = Pattern(5, round, me, 0);  // sizes 0 .. 1 MiB, differ by rank
    const auto gathered = t->GatherToRoot(mine);
    if (me == 0) {
      ASSERT_EQ(gathered.size(), n);
      for (RankId s = 0; s < n; ++s) EXPECT_TRUE(gathered[s] == Pattern(5, round, s, 0));
    } else {
      EXPECT_TRUE(gathered.empty());
    }
    const Bytes root = Pattern(6, round, 0, 1);
    const Bytes got = t->Broadcast(me == 0 ? root : Pattern(7, round, me, me));
    EXPECT_TRUE(got == root) << "round " << round;
  }
  EXPECT_TRUE(t->Broadcast(me == 0 ? Bytes{} : Bytes(10)).empty());
}

INSTANTIATE_TEST_SUITE_P(Kinds, TransportTest, ::testing::Values("mpi", "ucx"),
                         [](const auto& param_info) { return param_info.param; });

// Same inputs through both transports, alive at the same time: byte-identical outputs.
TEST(TransportCompareTest, MpiAndUcxGiveIdenticalBytes) {
  auto mpi = MakeTransport("mpi", MPI_COMM_WORLD);
  auto ucx = MakeTransport("ucx", MPI_COMM_WORLD);
  const auto a = RunRounds(*mpi, 42, 24);
  const auto b = RunRounds(*ucx, 42, 24);
  EXPECT_TRUE(a == b) << "rank " << mpi->rank() << ": MPI and UCX exchanges differ";
  Bytes mine = Pattern(8, 1, mpi->rank(), 3);
  EXPECT_EQ(mpi->GatherToRoot(mine), ucx->GatherToRoot(mine));
  EXPECT_EQ(mpi->Broadcast(mine), ucx->Broadcast(mine));
  EXPECT_EQ(mpi->AllreduceSum(mpi->rank() * 3), ucx->AllreduceSum(ucx->rank() * 3));
  EXPECT_TRUE(AllRanks(!HasFailure()));
}

// The engine's critical path of windows (runtime/pdes/window_record.h): per window the largest
// work of any rank, summed; with few records allowed, neighbouring windows merge in fours here.
TEST(WindowWorkRecordTest, CriticalPathIsTheSumOfEachWindowsLargestWork) {
  auto t = MakeTransport("mpi", MPI_COMM_WORLD);
  const auto work = [](RankId r, uint32_t w) { return uint64_t{(r * 7 + w * 3) % 5 + 1} * 1000; };
  for (const size_t max_records : {size_t{1} << 22, size_t{4}}) {
    pdes::WindowWorkRecord record(max_records);
    constexpr uint32_t kWindows = 10;
    for (uint32_t w = 0; w < kWindows; ++w) record.Add(work(t->rank(), w));
    const pdes::WindowWorkRecord::CriticalPath path = record.Reduce(*t);
    // Four records at most: windows 1-4 fill them; the 5th merges pairs (2 per record), the
    // 9th again (4 per record): records [0,4), [4,8), [8,10).
    const uint32_t group = max_records == 4 ? 4 : 1;
    double critical = 0, total = 0;
    for (uint32_t g = 0; g < kWindows; g += group) {
      uint64_t largest = 0;
      for (RankId r = 0; r < t->size(); ++r) {
        uint64_t sum = 0;
        for (uint32_t w = g; w < std::min(g + group, kWindows); ++w) sum += work(r, w);
        largest = std::max(largest, sum);
        total += static_cast<double>(sum);
      }
      critical += static_cast<double>(largest);
    }
    if (t->rank() == 0) {
      EXPECT_EQ(path.windows_per_record, group) << "max_records " << max_records;
      EXPECT_DOUBLE_EQ(path.critical_cycles, critical) << "max_records " << max_records;
      EXPECT_DOUBLE_EQ(path.total_cycles, total) << "max_records " << max_records;
    } else {
      EXPECT_EQ(path.critical_cycles, 0.0);
    }
  }
}

TEST(TransportFactoryTest, UnknownKindIsAConfigErrorNamingValueAndChoices) {
  try {
    MakeTransport("infiniband", MPI_COMM_WORLD);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"infiniband\""), std::string::npos) << what;
    EXPECT_NE(what.find("\"mpi\""), std::string::npos) << what;
    EXPECT_NE(what.find("\"ucx\""), std::string::npos) << what;
  }
}

// Explicit transports (as UCX_TLS) that work on the dev machines, one after another.
TEST(UcxTransportTest, ExplicitTransportsWork) {
  for (const char* tls : {"tcp", "sm", "^cma"}) {
    UcxTransport t(MPI_COMM_WORLD, UcxOptions{tls});
    RunRounds(t, 555, 8);
    EXPECT_TRUE(AllRanks(!HasFailure())) << "UCX_TLS=" << tls;
  }
}

// Many transports created and destroyed in a row: shutdown is clean and nothing leaks across.
TEST(UcxTransportTest, CreateAndDestroyRepeatedly) {
  for (int i = 0; i < 5; ++i) {
    UcxTransport t(MPI_COMM_WORLD);
    RunRounds(t, 900 + i, 3);
  }
  EXPECT_TRUE(AllRanks(!HasFailure()));
}

}  // namespace
}  // namespace moefab
