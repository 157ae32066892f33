// trace.json: valid JSON, one "X" event per TraceEvent with ts/dur in exact microseconds,
// named processes and threads in natural order, escaping, and python's json module agrees.
#include "runtime/reports/trace_writer.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "tests/runtime/reports/report_fixture.h"

namespace moefab {
namespace {

using testing_reports::SmallRun;

// A strict JSON syntax check (RFC 8259 grammar, no extensions); true if `text` is one value.
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& text) : s_(text) {}
  bool Valid() {
    Ws();
    if (!Value()) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  void Ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Eat(char c) {
    Ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Literal(const char* lit) {
    const std::string l(lit);
    if (s_.compare(i_, l.size(), l) != 0) return false;
    i_ += l.size();
    return true;
  }
  bool String() {
    if (!Eat('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (static_cast<unsigned char>(s_[i_]) < 0x20) return false;
      if (s_[i_] == '\\') {
        ++i_;
        if (i_ >= s_.size() || std::string("\"\\/bfnrtu").find(s_[i_]) == std::string::npos) return false;
      }
      ++i_;
    }
    return Eat('"');
  }
  bool Number() {
    const size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))
      return false;  // no leading zeros
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    return i_ > start;
  }
  bool Value() {
    Ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      if (Eat('}')) return true;
      do {
        Ws();
        if (!String() || !Eat(':') || !Value()) return false;
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      ++i_;
      if (Eat(']')) return true;
      do {
        if (!Value()) return false;
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') return String();
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Number();
  }

  const std::string& s_;
  size_t i_ = 0;
};

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(TraceWriterTest, IsValidJsonWithOneCompleteEventPerTraceEvent) {
  const auto f = SmallRun();
  const std::string json = ChromeTraceJson(f.Input());
  EXPECT_TRUE(JsonChecker(json).Valid()) << json;
  EXPECT_EQ(Count(json, "\"ph\":\"X\""), f.trace.size());
  EXPECT_NE(json.find("\"traceEvents\":["), std::string::npos);
}

TEST(TraceWriterTest, TimesAreExactMicrosecondsFromPicoseconds) {
  const std::string json = ChromeTraceJson(SmallRun().Input());
  // 150000 ps, 123456 ps; 2000000 ps, 1000 ps; 0 ps, 1000000 ps.
  EXPECT_NE(json.find("\"ts\":0.15,\"dur\":0.123456,"), std::string::npos);
  EXPECT_NE(json.find("\"ts\":2,\"dur\":0.001,"), std::string::npos);
  EXPECT_NE(json.find("\"ts\":0,\"dur\":1,"), std::string::npos);
}

TEST(TraceWriterTest, TracksBecomeNamedProcessesAndThreadsInNaturalOrder) {
  const std::string json = ChromeTraceJson(SmallRun().Input());
  // "chip 1" < "chip 10" < "tokens" (the track "token 0" is a thread of process "tokens").
  EXPECT_NE(json.find("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
                      "\"args\":{\"name\":\"chip 1\"}}"),
            std::string::npos);
  EXPECT_NE(json.find("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":2,\"tid\":0,"
                      "\"args\":{\"name\":\"chip 10\"}}"),
            std::string::npos);
  EXPECT_NE(json.find("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":3,\"tid\":0,"
                      "\"args\":{\"name\":\"tokens\"}}"),
            std::string::npos);
  EXPECT_NE(json.find("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,"
                      "\"args\":{\"name\":\"slot 0\"}}"),
            std::string::npos);
  EXPECT_NE(json.find("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":3,\"tid\":1,"
                      "\"args\":{\"name\":\"token 0\"}}"),
            std::string::npos);
  EXPECT_NE(json.find("\"name\":\"L0 E3\",\"cat\":\"expert\",\"ph\":\"X\",\"ts\":2,\"dur\":0.001,"
                      "\"pid\":2,\"tid\":1"),
            std::string::npos);
  EXPECT_NE(json.find("\"args\":{\"home\":\"0\",\"q\":\"a\\\"b\"}"), std::string::npos);
}

TEST(TraceWriterTest, EmptyTraceIsStillAValidDocument) {
  auto f = SmallRun();
  f.trace.clear();
  const std::string json = ChromeTraceJson(f.Input());
  EXPECT_TRUE(JsonChecker(json).Valid()) << json;
  EXPECT_EQ(Count(json, "\"ph\":"), 0u);
}

TEST(TraceWriterTest, TokenTraceEventsCoverEveryTokenWithItsBreakdown) {
  const auto f = SmallRun();
  const auto events = TokenTraceEvents(f.merged);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].track, "token 3");
  EXPECT_EQ(events[3].start_ps, 300000u);
  EXPECT_EQ(events[3].duration_ps, 2000000u);
  EXPECT_EQ(events[3].args[3], (std::pair<std::string, std::string>{"expert_phase_ns", "1400"}));
}

TEST(TraceWriterTest, PythonJsonModuleReadsTheFile) {
  // python3 is a dependency of the test suite (scripts/setup.sh installs it).
  ASSERT_EQ(std::system("python3 -c 'import json' >/dev/null 2>&1"), 0) << "python3 not available";
  const auto f = SmallRun();
  const auto dir = std::filesystem::path(::testing::TempDir()) / "moefab_trace_test";
  std::filesystem::remove_all(dir);
  WriteChromeTrace(dir.string(), f.Input());
  const std::string cmd =
      "python3 -c 'import json,sys\n"
      "d = json.load(open(sys.argv[1]))\n"
      "x = [e for e in d[\"traceEvents\"] if e[\"ph\"] == \"X\"]\n"
      "assert len(x) == 3, len(x)\n"
      "assert abs(x[0][\"ts\"] - 0.15) < 1e-12 and abs(x[0][\"dur\"] - 0.123456) < 1e-12\n"
      "names = {e[\"args\"][\"name\"] for e in d[\"traceEvents\"] if e[\"name\"] == \"process_name\"}\n"
      "assert names == {\"chip 1\", \"chip 10\", \"tokens\"}, names\n' '" +
      (dir / "trace.json").string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace moefab
