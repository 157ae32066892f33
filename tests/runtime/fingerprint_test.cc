// Bit-for-bit guard of whole runs: every example config and the zoo models give a results.json
// whose simulated part (everything but "config_path" and the "host" section) hashes to the
// constant recorded here. A change of any simulated number, in any section, fails this test.
// Refactors must keep these; a model change that is meant to change results updates them in
// the same commit, with the reason in its message.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "chips/tapeout/sha256.h"
#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/simulate.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab {
namespace {

struct Case {
  const char* config;       // under the source tree
  const char* fingerprint;  // first 16 hex digits of the SHA-256 of the simulated JSON
};

// The simulated part of results.json: without the config path (it names where the file was
// read from) and without "host" (wall-clock figures).
std::string SimulatedJson(const std::string& json) {
  std::string s = json.substr(0, json.find("\"host\""));
  const auto at = s.find("\"config_path\"");
  if (at != std::string::npos) s.erase(at, s.find('\n', at) + 1 - at);
  return s;
}

class FingerprintTest : public ::testing::TestWithParam<Case> {};

TEST_P(FingerprintTest, ResultsJsonIsBitIdentical) {
  const Case& c = GetParam();
  const RunOptions o = LoadConfigFile(std::string(MOEFAB_SOURCE_DIR) + "/" + c.config);
  LoopbackTransport t;
  const auto out = Simulate(o, t, Logger("runtime"));
  chips::tapeout::Sha256 h;
  h.Update(SimulatedJson(ResultsJson(o, out)));
  EXPECT_EQ(h.Hex().substr(0, 16), c.fingerprint) << c.config;
}

INSTANTIATE_TEST_SUITE_P(Configs, FingerprintTest,
                         ::testing::Values(Case{"configs/tiny.textproto", "bc9ec95052b0c60b"},
                                           Case{"configs/cube8.textproto", "137c4046d3b79bf2"},
                                           Case{"configs/ring5.textproto", "ca9eece5428d75d4"},
                                           Case{"configs/ocs16.textproto", "630e5adf475e1be2"},
                                           Case{"configs/twisted16.textproto", "6ab6b8c4193796d1"},
                                           Case{"configs/models/gpt-oss-20b.textproto", "6cb569a3c73e6c56"},
                                           Case{"configs/models/mixtral-8x7b.textproto", "7d65378792113ebd"},
                                           Case{"configs/models/olmoe-1b-7b.textproto", "1003a50631e93c6c"},
                                           Case{"configs/models/qwen3-30b-a3b.textproto", "39862780450f11f2"},
                                           Case{"configs/models/llama-4-maverick.textproto", "6b1d21967f012d1c"},
                                           Case{"configs/models/gpt-oss-120b.textproto", "1d4bb9043f7b6042"}),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           std::string n = param.param.config;
                           n = n.substr(n.rfind('/') + 1);
                           n = n.substr(0, n.find('.'));
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace moefab
