#include "runtime/commands/output_folder.h"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace moefab {

namespace {

// Empty when `dir` exists (created if needed) and takes a small file; else the problem.
std::string ProbeFolder(const std::filesystem::path& dir, RankId rank) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create the folder: " + ec.message();
  if (!fs::is_directory(dir, ec)) return "not a folder";
  const fs::path probe = dir / (".moefab-probe-" + std::to_string(rank));
  bool ok = false;
  {
    std::ofstream out(probe, std::ios::binary | std::ios::trunc);
    out << "moefab\n";
    out.flush();
    ok = static_cast<bool>(out);
  }
  fs::remove(probe, ec);
  return ok ? "" : "cannot write a file in it (read-only, full or no permission?)";
}

}  // namespace

std::string PrepareOutputFolder(const std::string& dir, Transport& control) {
  std::string problem = ProbeFolder(dir, control.rank());
  if (problem.empty()) problem = ProbeFolder(std::filesystem::path(dir) / "logs", control.rank());
  if (!problem.empty()) problem = "--out " + dir + ": " + problem + "; expected a writable folder";
  if (control.AllreduceSum(problem.empty() ? 0 : 1) == 0) return "";
  return problem.empty() ? "--out " + dir + ": not writable on another rank; expected a writable folder" : problem;
}

}  // namespace moefab
