// The command line (command_line.h): per-command help, every option of every command, run's
// --set and sweep's --report, and one-line errors for unknown options, missing values and
// values not allowed.
#include "runtime/commands/command_line.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace moefab {
namespace {

using Action = CommandLine::Action;

std::string ErrorOf(const std::vector<std::string>& args) {
  try {
    ParseCommandLine(args);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(CommandLineTest, HelpOfEveryCommandListsItsOptions) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> options = {
      {"run", {"--out", "--set", "--report", "--rank-mapping", "--transport", "--verbose", "CONFIG"}},
      {"sweep", {"--out", "--set", "--report", "--verbose", "CONFIG"}},
      {"tapeout", {"--out", "--cache", "CONFIG"}},
      {"area", {"--out", "CONFIG"}},
      {"blocks", {"--out", "CONFIG"}},
      {"fabric-bench", {"--out", "CONFIG"}},
      {"place", {"--out", "CONFIG"}}};
  for (const auto& [command, names] : options) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{command, "--help"},
                                                 std::vector<std::string>{command, "-h"},
                                                 std::vector<std::string>{"help", command}}) {
      const CommandLine cl = ParseCommandLine(args);
      EXPECT_EQ(cl.action, Action::kPrint) << args[0] << " " << args[1];
      EXPECT_EQ(cl.exit_code, 0);
      EXPECT_FALSE(cl.to_stderr);
      EXPECT_NE(cl.text.find("moefab " + command), std::string::npos) << cl.text;
      for (const auto& name : names) EXPECT_NE(cl.text.find(name), std::string::npos) << command << ": " << name;
    }
  }
  // One line per option: --rank-mapping's line names its values.
  const std::string run = CommandHelp("run");
  const auto at = run.find("--rank-mapping");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(run.substr(at, run.find('\n', at) - at).find("block or round-robin"), std::string::npos) << run;
  EXPECT_EQ(CommandHelp("area").find("--cache"), std::string::npos);  // only tapeout has a build cache
}

TEST(CommandLineTest, GlobalHelpAndVersion) {
  EXPECT_NE(ParseCommandLine({"help"}).text.find("moefab help COMMAND"), std::string::npos);
  EXPECT_EQ(ParseCommandLine({"--help"}).exit_code, 0);
  const CommandLine none = ParseCommandLine({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(none.to_stderr);
  EXPECT_EQ(ParseCommandLine({"version"}).text, "moefab 0.1.0\n");
  EXPECT_NE(ErrorOf({"help", "launch"}).find("unknown command 'launch'"), std::string::npos);
}

TEST(CommandLineTest, RunKeepsEveryOption) {
  const CommandLine cl =
      ParseCommandLine({"run", "c.textproto", "-o", "d", "--rank-mapping", "round-robin", "--report", "csv,html",
                        "--report", "trace", "--transport", "shm", "-v", "--set", "workload.num_tokens=16", "--set",
                        "simulation.fidelity=ANALYTIC"});
  ASSERT_EQ(cl.action, Action::kRun);
  EXPECT_EQ(cl.run.config_path, "c.textproto");
  EXPECT_EQ(cl.run.out_dir, "d");
  EXPECT_EQ(cl.run.rank_mapping, "round-robin");
  EXPECT_EQ(cl.run.transport, "shm");
  EXPECT_TRUE(cl.run.verbose);
  EXPECT_EQ(cl.run.reports, (std::vector<std::string>{"csv", "html", "trace"}));
  EXPECT_EQ(cl.run.sets, (std::vector<std::string>{"workload.num_tokens=16", "simulation.fidelity=ANALYTIC"}));
  EXPECT_EQ(ParseCommandLine({"run", "--out=x"}).run.out_dir, "x");  // CONFIG optional for run
  EXPECT_EQ(ParseCommandLine({"run", "--out", "a", "--out", "b"}).run.out_dir, "b");  // last wins
}

TEST(CommandLineTest, SweepTakesReportAndSets) {
  const CommandLine cl = ParseCommandLine(
      {"sweep", "c.textproto", "--set", "workload.concurrency=2,8", "--report", "html", "--out", "d", "--set",
       "report.html=true"});
  ASSERT_EQ(cl.action, Action::kSweep);
  ASSERT_EQ(cl.sweep.axes.size(), 2u);
  EXPECT_EQ(cl.sweep.axes[0].values, (std::vector<std::string>{"2", "8"}));
  EXPECT_EQ(cl.sweep.axes[1].path, "report.html");
  EXPECT_EQ(cl.sweep.reports, (std::vector<std::string>{"html"}));
  EXPECT_EQ(cl.sweep.config_path, "c.textproto");
}

TEST(CommandLineTest, SingleCommands) {
  const CommandLine cl = ParseCommandLine({"tapeout", "c.textproto", "--cache", "k", "--out", "o"});
  EXPECT_EQ(cl.action, Action::kSingle);
  EXPECT_EQ(cl.command, "tapeout");
  EXPECT_EQ(cl.single.cache_dir, "k");
  EXPECT_EQ(cl.single.out_dir, "o");
  EXPECT_EQ(ParseCommandLine({"place", "c.textproto"}).single.out_dir, "");
}

TEST(CommandLineTest, BadCommandLinesGiveOneLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", "--out"}, "command line: --out needs a value"},
      {{"run", "--frobnicate", "--out", "x"}, "command line: unknown option --frobnicate"},
      {{"run", "a.textproto", "b.textproto", "--out", "x"}, "unexpected argument b.textproto"},
      {{"run"}, "--out DIR is required"},
      {{"run", "--out", "x", "--rank-mapping", "diagonal"}, "--rank-mapping diagonal: expected block or round-robin"},
      {{"run", "--out", "x", "--transport", "tcp"}, "--transport tcp: expected auto, shm, mpi or ucx"},
      {{"run", "--out", "x", "--report", "csv,pdf"}, "'pdf' is not one of csv, html, trace, all"},
      {{"run", "--out", "x", "--set", "workload.concurrency=2,8"}, "2 values; expected one PATH=VALUE"},
      {{"run", "--out", "x", "--set", "workload.concurrency"}, "expected PATH=V1,V2,..."},
      {{"sweep", "c", "--out", "x"}, "sweep needs at least one --set"},
      {{"sweep", "c", "--set", "a=1"}, "--out DIR is required"},
      {{"sweep", "--set", "a=1", "--out", "x"}, "CONFIG is required"},
      {{"area", "c", "--cache", "k"}, "unknown option --cache"},
      {{"place", "--out", "x"}, "CONFIG is required"},
      {{"launch"}, "unknown command 'launch'"},
  };
  for (const auto& [args, expected] : cases) {
    const std::string e = ErrorOf(args);
    EXPECT_NE(e.find(expected), std::string::npos) << args[0] << " ...: " << e;
    EXPECT_EQ(Lines(e), 0u) << e;
  }
}

}  // namespace
}  // namespace moefab
