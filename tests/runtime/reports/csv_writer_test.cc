// tokens.csv, links.csv, chips.csv and experts.csv: header rows, exact values from the
// hand-made 2x2 run, stable bytes, and files written by WriteCsvReports.
#include "runtime/reports/csv_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/runtime/reports/report_fixture.h"

namespace moefab {
namespace {

using testing_reports::SmallRun;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) lines.push_back(line);
  return lines;
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CsvWriterTest, TokensHaveExactNanosecondsAndBreakdownColumns) {
  const auto f = SmallRun();
  const auto lines = Lines(TokensCsv(f.Input()));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "id,home,start_ns,end_ns,latency_ns,attention_ns,gate_ns,expert_phase_ns,"
            "combine_ns,core_queue_ns");
  EXPECT_EQ(lines[1], "0,0,0,1000,1000,200,100,600,50,50");
  EXPECT_EQ(lines[2], "1,0,100,1350,1250,200,100,800,50,100");
  EXPECT_EQ(lines[4], "3,0,300,2300,2000,200,100,1400,50,250");
}

TEST(CsvWriterTest, LinksHaveCoordinatesOfBothEndsAndUtilisationOverMakespan) {
  const auto f = SmallRun();
  const auto lines = Lines(LinksCsv(f.Input()));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "index,from,to,port,direction,from_x,from_y,from_z,to_x,to_y,to_z,bytes,packets,"
            "busy_ns,utilisation,peak_waiting_packets,peak_buffer_flits,optical");
  EXPECT_EQ(lines[1], "0,0,1,0,+x,0,0,0,1,0,0,4096,4,1150,0.5,3,17,0");
  EXPECT_EQ(lines[2], "6,1,3,2,+y,1,0,0,1,1,0,1024,1,230,0.1,0,0,0");
  EXPECT_EQ(lines[3], "13,3,2,1,-x,1,1,0,0,1,0,0,0,0,0,0,0,0");
}

TEST(CsvWriterTest, ChipsHaveSkuKindAndFractionsOverMakespan) {
  const auto f = SmallRun();
  const auto lines = Lines(ChipsCsv(f.Input()));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "node,x,y,z,sku,kind,busy_fraction,jobs,slots,mean_active_slots,max_ingress_jobs");
  EXPECT_EQ(lines[1], "0,0,0,0,attn-a1,attention,0.2,0,0,0,0");
  EXPECT_EQ(lines[2], "1,1,0,0,exp-e1,expert,0.5,5,2,1,3");
  EXPECT_EQ(lines[3], "2,0,1,0,exp-e1,expert,0.3,4,2,0.3,1");
}

TEST(CsvWriterTest, ExpertsHaveShareOfTheirLayer) {
  const auto f = SmallRun();
  const auto lines = Lines(ExpertsCsv(f.Input()));
  ASSERT_EQ(lines.size(), 1u + 2 * 4);
  EXPECT_EQ(lines[0], "layer,expert,shared,jobs,share_of_layer");
  EXPECT_EQ(lines[1], "0,0,0,3,0.375");
  EXPECT_EQ(lines[3], "0,2,0,0,0");
  EXPECT_EQ(lines[4], "0,3,0,4,0.5");
  EXPECT_EQ(lines[8], "1,3,0,2,0.25");
}

TEST(CsvWriterTest, SharedExpertsAreMarkedAndOddNamesQuoted) {
  auto f = SmallRun();
  f.options.model.num_shared_experts = 1;  // 5 per layer now
  f.merged.expert_jobs = {1, 1, 1, 1, 4, 0, 0, 0, 0, 0};
  f.options.skus[1].name = "exp,\"big\"";
  const auto experts = Lines(ExpertsCsv(f.Input()));
  EXPECT_EQ(experts[5], "0,4,1,4,0.5");
  EXPECT_EQ(experts[10], "1,4,1,0,0");
  EXPECT_EQ(Lines(ChipsCsv(f.Input()))[2], "1,1,0,0,\"exp,\"\"big\"\"\",expert,0.5,5,2,1,3");
}

TEST(CsvWriterTest, WritesFourFilesWithStableBytes) {
  const auto f = SmallRun();
  const auto dir = std::filesystem::path(::testing::TempDir()) / "moefab_csv_test";
  std::filesystem::remove_all(dir);
  WriteCsvReports(dir.string(), f.Input());
  const std::string first = ReadFile(dir / "links.csv");
  WriteCsvReports(dir.string(), f.Input());
  EXPECT_EQ(ReadFile(dir / "links.csv"), first);
  EXPECT_EQ(ReadFile(dir / "tokens.csv"), TokensCsv(f.Input()));
  EXPECT_EQ(ReadFile(dir / "chips.csv"), ChipsCsv(f.Input()));
  EXPECT_EQ(ReadFile(dir / "experts.csv"), ExpertsCsv(f.Input()));
  // No temporary files left behind.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 4u);
}

TEST(CsvWriterTest, EmptyRunGivesHeadersOnly) {
  auto f = SmallRun();
  f.merged = RankReport{};
  EXPECT_EQ(Lines(TokensCsv(f.Input())).size(), 1u);
  EXPECT_EQ(Lines(LinksCsv(f.Input())).size(), 1u);
  EXPECT_EQ(Lines(ExpertsCsv(f.Input()))[1], "0,0,0,0,0");  // expert_jobs missing: 0 jobs
}

}  // namespace
}  // namespace moefab
