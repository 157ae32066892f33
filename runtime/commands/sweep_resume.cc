#include "runtime/commands/sweep_resume.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace moefab {

namespace {

bool ReadWhole(const std::filesystem::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

std::string PointDir(size_t i) {
  std::ostringstream os;
  os << "point-" << std::setw(3) << std::setfill('0') << i;
  return os.str();
}

}  // namespace

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::vector<std::string> FinishedRows(const std::string& out_dir, const std::string& header,
                                      const std::vector<std::string>& texts) {
  namespace fs = std::filesystem;
  std::vector<std::string> rows(texts.size());
  std::string csv;
  if (!ReadWhole(fs::path(out_dir) / "sweep.csv", csv)) return rows;
  std::istringstream lines(csv);
  std::string line;
  if (!std::getline(lines, line) || line != header) return rows;  // another grid: run it all
  while (std::getline(lines, line)) {
    const std::vector<std::string> fields = SplitCsvLine(line);
    size_t i = 0;
    const std::string& first = fields.front();
    const auto res = std::from_chars(first.data(), first.data() + first.size(), i);
    if (first.empty() || res.ec != std::errc() || res.ptr != first.data() + first.size() || i >= texts.size())
      continue;
    const fs::path dir = fs::path(out_dir) / PointDir(i);
    std::string text;
    std::error_code ec;
    if (!ReadWhole(dir / "config.textproto", text) || text != texts[i] || !fs::is_regular_file(dir / "results.json", ec))
      continue;
    rows[i] = line;
  }
  return rows;
}

}  // namespace moefab
