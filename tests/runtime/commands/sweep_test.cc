// `moefab sweep`: the reflection setter on nested, enum, repeated and indexed fields, its
// messages for bad paths and values, --set parsing, and a 2-point sweep of tiny in-process
// (loopback transport) with its sweep.csv and per-point results.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "moefab.pb.h"
#include "runtime/commands/commands.h"
#include "runtime/commands/sweep_resume.h"
#include "runtime/commands/run.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab {
namespace {

namespace fs = std::filesystem;
namespace pb = ::moefab::config;

template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

pb::Config TwoSkus() {
  pb::Config c;
  c.add_skus()->set_name("attn");
  c.add_skus()->set_name("hx");
  c.mutable_fabric()->mutable_torus()->add_dims(2);
  c.mutable_fabric()->mutable_torus()->add_dims(2);
  return c;
}

TEST(SweepSetterTest, NestedEnumRepeatedAndIndexedFields) {
  pb::Config c = TwoSkus();
  SetConfigField(c, "workload.concurrency", "16");
  SetConfigField(c, "simulation.fidelity", "ANALYTIC");
  SetConfigField(c, "simulation.skip_golden_check", "true");
  SetConfigField(c, "model.name", "a b");
  SetConfigField(c, "model.routed_scaling", "2.5");
  SetConfigField(c, "fabric.link_bandwidth_mbytes_per_s", "100000");
  SetConfigField(c, "placement.strategy", "LOAD_BALANCED");
  SetConfigField(c, "skus[1].mac_lanes", "64");
  SetConfigField(c, "fabric.torus.dims", "4x4x4");
  SetConfigField(c, "routing.zipf_s", "0.5x0.75");
  SetConfigField(c, "fabric.bench.patterns", "UNIFORM+TRANSPOSE");
  EXPECT_EQ(c.workload().concurrency(), 16u);
  EXPECT_EQ(c.simulation().fidelity(), pb::ANALYTIC);
  EXPECT_TRUE(c.simulation().skip_golden_check());
  EXPECT_EQ(c.model().name(), "a b");
  EXPECT_DOUBLE_EQ(c.model().routed_scaling(), 2.5);
  EXPECT_EQ(c.fabric().link_bandwidth_mbytes_per_s(), 100000u);
  EXPECT_EQ(c.placement().strategy(), pb::LOAD_BALANCED);
  EXPECT_EQ(c.skus(1).mac_lanes(), 64u);
  EXPECT_EQ(c.skus(0).mac_lanes(), 0u);
  ASSERT_EQ(c.fabric().torus().dims_size(), 3);
  EXPECT_EQ(c.fabric().torus().dims(2), 4u);
  ASSERT_EQ(c.routing().zipf_s_size(), 2);
  EXPECT_DOUBLE_EQ(c.routing().zipf_s(1), 0.75);
  ASSERT_EQ(c.fabric().bench().patterns_size(), 2);
  EXPECT_EQ(c.fabric().bench().patterns(1), pb::TRANSPOSE);
  SetConfigField(c, "fabric.torus.dims[1]", "8");
  EXPECT_EQ(c.fabric().torus().dims(1), 8u);
  EXPECT_EQ(c.fabric().torus().dims_size(), 3);
}

TEST(SweepSetterTest, BadPathsAndValuesSayWhatWasExpected) {
  struct Case {
    const char* path;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"workload.concurency", "4",
       "field path 'workload.concurency': no field 'concurency' in moefab.config.Workload; expected one of: "
       "num_tokens, concurrency,"},
      {"nosuch", "1", "no field 'nosuch' in moefab.config.Config; expected one of: model, skus,"},
      {"workload.concurency", "4", ", capacity_window_tokens (did you mean concurrency?)"},
      {"simulation.fidelity", "FAST",
       "value 'FAST' for simulation.fidelity: expected one of FIDELITY_UNSPECIFIED, RTL, SAMPLED, ANALYTIC"},
      {"workload.concurrency", "-1", "value '-1' for workload.concurrency: expected a non-negative integer (uint32)"},
      {"workload.concurrency", "4096x", "value '4096x' for workload.concurrency: expected a non-negative integer"},
      {"workload.concurrency", "99999999999", "expected a non-negative integer (uint32)"},
      {"model.routed_scaling", "inf", "value 'inf' for model.routed_scaling: expected a finite number"},
      {"simulation.skip_golden_check", "yes", "expected true or false"},
      {"workload", "4", "field path 'workload' is a message (Workload); expected a path to a scalar"},
      {"workload.concurrency.x", "4", "'concurrency' is not a message; expected it last"},
      {"skus.mac_lanes", "8", "'skus' is a repeated message; expected skus[index]"},
      {"skus[2].mac_lanes", "8", "index 2 of 'skus': expected below its 2 elements in the config"},
      {"skus[x].mac_lanes", "8", "'skus[x]': expected name or name[index]"},
      {"workload[0].concurrency", "8", "'workload' is not repeated; expected no [index]"},
      {"fabric.torus.dims", "4x4xa", "value 'a' for fabric.torus.dims: expected a non-negative integer"},
      {"fabric.torus.dims[5]", "4", "index 5 of 'dims': expected below its 2 elements"},
      {"workload..concurrency", "4", "empty field name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.path) + "=" + c.value);
    pb::Config config = TwoSkus();
    const std::string e = ErrorOf([&] { SetConfigField(config, c.path, c.value); });
    EXPECT_NE(e.find(c.message), std::string::npos) << e;
    // A failed setting leaves the config as it was.
    EXPECT_EQ(config.fabric().torus().dims_size(), 2);
  }
}

TEST(SweepSetterTest, ParsesSetArguments) {
  const SweepAxis a = ParseSweepSet("fabric.torus.dims=4x4x4,2x2x16");
  EXPECT_EQ(a.path, "fabric.torus.dims");
  EXPECT_EQ(a.values, (std::vector<std::string>{"4x4x4", "2x2x16"}));
  EXPECT_EQ(a.arg, "fabric.torus.dims=4x4x4,2x2x16");
  EXPECT_NE(
      ErrorOf([] { ParseSweepSet("workload.concurrency"); }).find("--set workload.concurrency: expected PATH=V1,V2"),
      std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseSweepSet("=4"); }).find("expected PATH=V1,V2"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseSweepSet("a=1,,2"); }).find("--set a=1,,2: an empty value"), std::string::npos);
}

class SweepRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = fs::temp_directory_path() / ("moefab_sweep_test_" + std::to_string(::getpid()));
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }

  int Run(const std::vector<std::string>& sets, bool resume = false) {
    SweepArgs args;
    args.resume = resume;
    args.config_path = (fs::path(MOEFAB_SOURCE_DIR) / "configs" / "tiny.textproto").string();
    args.out_dir = out_.string();
    for (const auto& s : sets) args.axes.push_back(ParseSweepSet(s));
    LoopbackTransport control;
    return RunSweep(args, control, [](const std::string&) { return std::make_unique<LoopbackTransport>(); });
  }
  std::string Read(const fs::path& p) const {
    std::ifstream in(out_ / p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path out_;
};

TEST_F(SweepRunTest, TwoPointsOfTinyWriteTheCsvAndEachPointsResults) {
  ASSERT_EQ(Run({"simulation.fidelity=ANALYTIC", "workload.num_tokens=16", "workload.concurrency=2,8"}), kExitOk);
  const std::string csv = Read("sweep.csv");
  std::istringstream lines(csv);
  std::string header, row0, row1, extra;
  std::getline(lines, header);
  std::getline(lines, row0);
  std::getline(lines, row1);
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(header,
            "point,simulation.fidelity,workload.num_tokens,workload.concurrency,tokens,latency_p50_ns,"
            "latency_p90_ns,latency_p99_ns,latency_mean_ns,throughput_tokens_per_s,makespan_ns,golden,"
            "sampled_mismatches,wall_seconds,expert_transistors,expert_mm2");
  EXPECT_EQ(row0.rfind("0,ANALYTIC,16,2,16,", 0), 0u) << row0;
  EXPECT_EQ(row1.rfind("1,ANALYTIC,16,8,16,", 0), 0u) << row1;
  EXPECT_NE(row0.find(",MATCH,0,"), std::string::npos) << row0;
  EXPECT_NE(row1.find(",MATCH,0,"), std::string::npos) << row1;
  for (const char* p : {"point-000", "point-001"}) {
    SCOPED_TRACE(p);
    const std::string results = Read(fs::path(p) / "results.json");
    EXPECT_NE(results.find("\"golden_match\": true"), std::string::npos) << results.substr(0, 400);
    EXPECT_NE(Read(fs::path(p) / "config.textproto").find("fidelity: ANALYTIC"), std::string::npos);
  }
  EXPECT_NE(Read("point-001/config.textproto").find("concurrency: 8"), std::string::npos);
  EXPECT_TRUE(fs::exists(out_ / "logs" / "rank-0.log"));
}

// Every column of a sweep.csv row but the last (wall_seconds).
// A row without its wall_seconds field (the third from the end, before the two area columns).
std::string WithoutWall(const std::string& row) {
  const size_t area = row.rfind(',', row.rfind(',') - 1);  // the comma before expert_transistors
  const size_t wall = row.rfind(',', area - 1);             // the comma before wall_seconds
  return row.substr(0, wall) + row.substr(area);
}

TEST_F(SweepRunTest, ResumeKeepsFinishedPointsAndRunsTheRest) {
  const std::vector<std::string> grid = {"simulation.fidelity=ANALYTIC", "workload.num_tokens=16",
                                         "workload.concurrency=2,4,8"};
  ASSERT_EQ(Run(grid), kExitOk);
  std::vector<std::string> rows;
  {
    std::istringstream lines(Read("sweep.csv"));
    for (std::string l; std::getline(lines, l);) rows.push_back(l);
  }
  ASSERT_EQ(rows.size(), 4u);
  // As if killed while point 2 ran: its results and row are missing. Point 0's results are
  // replaced by a marker (a kept point is not run again); point 1's config was edited (it is).
  fs::remove(out_ / "point-002" / "results.json");
  {
    std::ofstream(out_ / "sweep.csv") << rows[0] << '\n' << rows[1] << '\n' << rows[2] << '\n';
    std::ofstream(out_ / "point-000" / "results.json") << "marker";
    std::ofstream(out_ / "point-001" / "config.textproto", std::ios::app) << "# edited\n";
  }
  ASSERT_EQ(Run(grid, /*resume=*/true), kExitOk);
  std::vector<std::string> again;
  {
    std::istringstream lines(Read("sweep.csv"));
    for (std::string l; std::getline(lines, l);) again.push_back(l);
  }
  ASSERT_EQ(again.size(), 4u);
  EXPECT_EQ(again[0], rows[0]);
  EXPECT_EQ(again[1], rows[1]);  // kept verbatim, wall time too
  for (size_t i = 2; i < 4; ++i) EXPECT_EQ(WithoutWall(again[i]), WithoutWall(rows[i])) << i;
  EXPECT_EQ(Read("point-000/results.json"), "marker");
  EXPECT_NE(Read("point-001/results.json").find("\"golden_match\": true"), std::string::npos);
  EXPECT_NE(Read("point-002/results.json").find("\"golden_match\": true"), std::string::npos);
  EXPECT_EQ(Read("point-001/config.textproto").find("# edited"), std::string::npos);

  // Another grid into the same folder: its header differs, every point runs.
  ASSERT_EQ(Run({"simulation.fidelity=ANALYTIC", "workload.num_tokens=16", "workload.concurrency=2", "model.top_k=2"},
                /*resume=*/true),
            kExitOk);
  EXPECT_NE(Read("point-000/results.json").find("\"golden_match\": true"), std::string::npos);
}

TEST(SweepResumeTest, SplitsQuotedCsvFields) {
  EXPECT_EQ(SplitCsvLine("0,\"a,b\",\"say \"\"x\"\"\",,3"),
            (std::vector<std::string>{"0", "a,b", "say \"x\"", "", "3"}));
}

TEST_F(SweepRunTest, ABadPointFailsBeforeAnythingRuns) {
  // The second value of the grid breaks the loader's rule top_k <= num_experts.
  EXPECT_EQ(Run({"model.top_k=2,9"}), kExitBadInput);
  EXPECT_FALSE(fs::exists(out_));
  EXPECT_EQ(Run({"model.top_kk=2"}), kExitBadInput);
  EXPECT_EQ(Run({"workload.concurrency=2", "workload.concurrency=4"}), kExitBadInput);
  EXPECT_FALSE(fs::exists(out_));
}

}  // namespace
}  // namespace moefab
