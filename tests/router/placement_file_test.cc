// Placement files: round trip (with replicas and repeated nodes), the written text, atomic
// replacement, and every kind of bad file with its message (file, line, value, expectation).
#include "router/placement_file.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"
#include "router/placement_strategies.h"

namespace moefab::router {
namespace {

namespace fs = std::filesystem;

class PlacementFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("moefab_placement_file_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name)) << text;
    return Path(name);
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The message of reading `text` as a 2 x 3 placement ("" if it loads).
  std::string Error(const std::string& text) const {
    const std::string path = Write("p.txt", text);
    try {
      ReadPlacementFile(path, 2, 3);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(PlacementFileTest, RoundTripsReplicasAndRepeatedNodes) {
  Placement p{2, 3, {{1}, {2, 5}, {3, 3}, {4}, {1, 2, 4}, {5}}};
  const std::string path = Path("placement.txt");
  WritePlacementFile(path, p);
  EXPECT_EQ(Read(path),
            "# moefab placement v1 layers 2 experts 3\n"
            "# layer expert node [node ...]   (torus node ids of the replicas)\n"
            "0 0 1\n0 1 2 5\n0 2 3 3\n1 0 4\n1 1 1 2 4\n1 2 5\n");
  const Placement q = ReadPlacementFile(path, 2, 3);
  EXPECT_EQ(q.num_layers, 2u);
  EXPECT_EQ(q.num_experts, 3u);
  EXPECT_EQ(q.replicas, p.replicas);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(PlacementFileTest, RoundTripsAStrategyPlacementAndReplacesAnOldFile) {
  const std::vector<NodeId> nodes = {1, 2, 3, 5, 6, 7};
  const ExpertLoad load(4 * 16, 1.0);
  const Placement p = LoadBalancedPlacement(4, 16, load, 4, nodes, 16);
  const std::string path = Write("placement.txt", "old contents\n");
  WritePlacementFile(path, p);
  EXPECT_EQ(ReadPlacementFile(path, 4, 16).replicas, p.replicas);
}

TEST_F(PlacementFileTest, AcceptsAnyOrderCommentsBlankLinesAndTabs) {
  const Placement p = ReadPlacementFile(Write("p.txt",
                                              "# moefab placement v1 layers 2 experts 3\n\n# hot experts first\n"
                                              "1 2 9\n0 0\t1 \n0 1 2\r\n0 2 3\n1 0 4\n1 1 5 6\n"),
                                        2, 3);
  EXPECT_EQ(p.replicas, (std::vector<std::vector<NodeId>>{{1}, {2}, {3}, {4}, {5, 6}, {9}}));
}

TEST_F(PlacementFileTest, BadFilesNameFileLineValueAndExpectation) {
  const std::string ok_header = "# moefab placement v1 layers 2 experts 3\n";
  const std::string body = "0 0 1\n0 1 1\n0 2 1\n1 0 1\n1 1 1\n1 2 1\n";
  struct Case {
    std::string text;
    std::string message;  // after the path
  };
  const Case cases[] = {
      {"", ":1: empty file; expected the header '# moefab placement v1 layers L experts E'"},
      {"0 0 1\n", ":1: header '0 0 1': expected '# moefab placement v1 layers L experts E'"},
      {"# moefab placement v2 layers 2 experts 3\n" + body, ":1: version v2: expected v1"},
      {"# moefab placement v1 layers 3 experts 3\n" + body, ":1: layers=3: expected 2 (the config's MoE layers)"},
      {"# moefab placement v1 layers 2 experts x\n" + body, ":1: experts='x': expected a non-negative integer"},
      {"# moefab placement v1 layers 2 experts 4\n" + body,
       ":1: experts=4: expected 3 (the config's experts per layer, routed plus shared)"},
      {ok_header + "0 0 1\n0 1\n", ":3: '0 1': expected 'layer expert node [node ...]'"},
      {ok_header + "0 0 one\n", ":2: node='one': expected a non-negative integer"},
      {ok_header + "0 -1 2\n", ":2: expert='-1': expected a non-negative integer"},
      {ok_header + "0 0 99999999999\n", ":2: node='99999999999': expected a non-negative integer"},
      {ok_header + "2 0 1\n", ":2: layer=2: expected < 2 (layers in the header)"},
      {ok_header + "0 3 1\n", ":2: expert=3: expected < 3 (experts in the header)"},
      {ok_header + "0 0 1\n\n0 0 2\n", ":4: (layer 0, expert 0) again (first on line 2); expected each pair once"},
      {ok_header + "0 0 1\n0 1 1\n0 2 1\n1 1 1\n",
       ": missing (layer 1, expert 0), (layer 1, expert 2); expected one line per (layer, expert): "
       "2 x 3 = 6 lines, found 4"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string e = Error(c.text);
    EXPECT_EQ(e.find(Path("p.txt") + c.message), 0u) << e;
  }
  EXPECT_EQ(Error(ok_header + body), "");
}

TEST_F(PlacementFileTest, ManyMissingPairsAreCounted) {
  const std::string path = Write("p.txt", "# moefab placement v1 layers 4 experts 8\n");
  try {
    ReadPlacementFile(path, 4, 8);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("(layer 1, expert 1) and 22 more"), std::string::npos) << e.what();
  }
}

TEST_F(PlacementFileTest, MissingFileAndUnwritablePathAndIncompletePlacement) {
  try {
    ReadPlacementFile(Path("nope.txt"), 1, 1);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.txt: cannot open the placement file"), std::string::npos);
  }
  const Placement ok{1, 1, {{1}}};
  try {
    WritePlacementFile(Path("no/such/dir/p.txt"), ok);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("p.txt: cannot write the placement file"), std::string::npos);
  }
  const Placement empty_pair{1, 2, {{1}, {}}};
  try {
    WritePlacementFile(Path("p.txt"), empty_pair);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("(layer 0, expert 1): it has no replica"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(Path("p.txt")));
}

}  // namespace
}  // namespace moefab::router
