#include "router/placement_file.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/temp_file.h"

namespace moefab::router {

namespace {

constexpr const char* kHeaderForm = "# moefab placement v1 layers L experts E";
constexpr std::size_t kMaxListedMissing = 10;  // missing pairs named in one message

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Unsigned decimal that fits in 32 bits.
bool ParseU32(const std::string& s, std::uint32_t& out) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

class FileErrors {
 public:
  explicit FileErrors(const std::string& path) : path_(path) {}
  [[noreturn]] void At(std::size_t line, const std::string& message) const {
    throw ConfigError(path_ + ":" + std::to_string(line) + ": " + message);
  }
  [[noreturn]] void File(const std::string& message) const { throw ConfigError(path_ + ": " + message); }

 private:
  const std::string& path_;
};

std::uint32_t HeaderCount(const FileErrors& err, const std::string& name, const std::string& text,
                          std::uint32_t expected, const std::string& what) {
  std::uint32_t v = 0;
  if (!ParseU32(text, v)) err.At(1, name + "='" + Printable(text) + "': expected a non-negative integer");
  if (v != expected) err.At(1, name + "=" + text + ": expected " + std::to_string(expected) + " (" + what + ")");
  return v;
}

}  // namespace

void WritePlacementFile(const std::string& path, const Placement& p) {
  const std::size_t pairs = std::size_t{p.num_layers} * p.num_experts;
  if (p.replicas.size() != pairs)
    throw ConfigError(path + ": cannot write a placement with " + std::to_string(p.replicas.size()) +
                      " entries; expected layers x experts = " + std::to_string(pairs));
  std::ostringstream os;
  os << "# moefab placement v1 layers " << p.num_layers << " experts " << p.num_experts << "\n"
     << "# layer expert node [node ...]   (torus node ids of the replicas)\n";
  for (std::size_t flat = 0; flat < pairs; ++flat) {
    const auto layer = flat / p.num_experts, expert = flat % p.num_experts;
    if (p.replicas[flat].empty())
      throw ConfigError(path + ": cannot write (layer " + std::to_string(layer) + ", expert " + std::to_string(expert) +
                        "): it has no replica; expected >= 1 node");
    os << layer << ' ' << expert;
    for (NodeId n : p.replicas[flat]) os << ' ' << n;
    os << '\n';
  }
  const std::string tmp = path + ".tmp";
  const TempFileGuard guard(tmp);  // an interrupt removes it
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << os.str();
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw ConfigError(path + ": cannot write the placement file (is the folder there and writable?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw ConfigError(path + ": cannot rename " + tmp + " into place: " + ec.message());
  }
}

Placement ReadPlacementFile(const std::string& path, std::uint32_t num_layers, std::uint32_t num_experts) {
  const FileErrors err(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) err.File("cannot open the placement file (does it exist and is it readable?)");
  std::string line;
  if (!std::getline(in, line)) err.At(1, std::string("empty file; expected the header '") + kHeaderForm + "'");
  const auto h = Split(line);
  if (h.size() != 8 || h[0] != "#" || h[1] != "moefab" || h[2] != "placement" || h[4] != "layers" || h[6] != "experts")
    err.At(1, "header '" + Printable(line) + "': expected '" + kHeaderForm + "'");
  if (h[3] != "v1") err.At(1, "version " + Printable(h[3]) + ": expected v1 (the only placement format)");
  HeaderCount(err, "layers", h[5], num_layers, "the config's MoE layers");
  HeaderCount(err, "experts", h[7], num_experts, "the config's experts per layer, routed plus shared");

  Placement p;
  p.num_layers = num_layers;
  p.num_experts = num_experts;
  const std::size_t pairs = std::size_t{num_layers} * num_experts;
  p.replicas.resize(pairs);
  std::vector<std::size_t> given_on(pairs, 0);  // line of each pair, 0 = not yet
  std::size_t n = 1, found = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto f = Split(line);
    if (f.empty() || f[0][0] == '#') continue;
    if (f.size() < 3)
      err.At(n, "'" + Printable(line) + "': expected 'layer expert node [node ...]' (at least one node)");
    std::vector<std::uint32_t> v(f.size());
    static const char* const kField[] = {"layer", "expert"};
    for (std::size_t i = 0; i < f.size(); ++i)
      if (!ParseU32(f[i], v[i]))
        err.At(n,
               std::string(i < 2 ? kField[i] : "node") + "='" + Printable(f[i]) + "': expected a non-negative integer");
    if (v[0] >= num_layers)
      err.At(n, "layer=" + f[0] + ": expected < " + std::to_string(num_layers) + " (layers in the header)");
    if (v[1] >= num_experts)
      err.At(n, "expert=" + f[1] + ": expected < " + std::to_string(num_experts) + " (experts in the header)");
    const std::size_t flat = std::size_t{v[0]} * num_experts + v[1];
    if (given_on[flat] != 0)
      err.At(n, "(layer " + f[0] + ", expert " + f[1] + ") again (first on line " + std::to_string(given_on[flat]) +
                    "); expected each pair once");
    given_on[flat] = n;
    p.replicas[flat].assign(v.begin() + 2, v.end());
    ++found;
  }
  if (in.bad()) err.File("read error");
  if (found != pairs) {
    std::string missing;
    std::size_t listed = 0;
    for (std::size_t flat = 0; flat < pairs && listed < kMaxListedMissing; ++flat) {
      if (given_on[flat] != 0) continue;
      missing += (listed ? ", " : "") + std::string("(layer ") + std::to_string(flat / num_experts) + ", expert " +
                 std::to_string(flat % num_experts) + ")";
      ++listed;
    }
    if (pairs - found > listed) missing += " and " + std::to_string(pairs - found - listed) + " more";
    err.File("missing " + missing + "; expected one line per (layer, expert): " + std::to_string(num_layers) + " x " +
             std::to_string(num_experts) + " = " + std::to_string(pairs) + " lines, found " + std::to_string(found));
  }
  return p;
}

}  // namespace moefab::router
