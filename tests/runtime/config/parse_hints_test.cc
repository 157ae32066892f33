// Parse errors say what was expected: the closest field names of the message for an unknown
// field, the closest values of the enum for an unknown value (parse_hints.h).
#include "runtime/config/parse_hints.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/config/config_loader.h"

namespace moefab {
namespace {

std::string LoadError(const std::string& text) {
  try {
    LoadConfigText(text, "c.textproto");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ParseHintsTest, EditDistanceAndClosestNames) {
  EXPECT_EQ(EditDistance("top_kk", "top_k"), 1u);
  EXPECT_EQ(EditDistance("Kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(ClosestNames("top_kk", {"name", "top_k", "num_layers", "topk_groups"}),
            (std::vector<std::string>{"top_k"}));
  EXPECT_EQ(ClosestNames("num_layer", {"num_layers", "num_heads", "num_experts"}),
            (std::vector<std::string>{"num_layers"}));
  EXPECT_TRUE(ClosestNames("zzzzzz", {"name", "top_k"}).empty());
}

TEST(ParseHintsTest, UnknownFieldNamesTheClosest) {
  EXPECT_EQ(ExplainParseError("Message type \"moefab.config.Model\" has no field named \"top_kk\"."),
            "Message type \"moefab.config.Model\" has no field named \"top_kk\"; did you mean top_k? (a field "
            "of Model)");
  const std::string far = ExplainParseError("Message type \"moefab.config.Workload\" has no field named \"zzzzzz\".");
  EXPECT_NE(far.find("; expected a field of Workload: num_tokens, concurrency"), std::string::npos) << far;
  EXPECT_EQ(ExplainParseError("Expected identifier, got: ,"), "Expected identifier, got: ,");
}

TEST(ParseHintsTest, UnknownEnumValueNamesTheClosest) {
  const std::string e = ExplainParseError("Unknown enumeration value of \"ANALYTICAL\" for field \"fidelity\".");
  EXPECT_EQ(e, "Unknown enumeration value of \"ANALYTICAL\" for field \"fidelity\"; did you mean ANALYTIC? (a "
               "value of Fidelity)");
}

TEST(ParseHintsTest, TheLoaderUsesThem) {
  const std::string e = LoadError("model { top_kk: 2 }");
  EXPECT_EQ(e.find("c.textproto:1:15: Message type \"moefab.config.Model\" has no field named \"top_kk\"; did you "
                   "mean top_k?"),
            0u)
      << e;
}

}  // namespace
}  // namespace moefab
