#include "runtime/checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/byte_io.h"
#include "core/error.h"
#include "core/state_archive.h"

namespace moefab {

namespace {

constexpr uint64_t kMagic = 0x31544B434645'4F4Dull;  // "MOEFCKT1" read as little-endian bytes
constexpr uint32_t kVersion = 1;

struct Header {
  uint64_t magic = kMagic;
  uint32_t version = kVersion;
  uint32_t ranks = 0;
  uint32_t rank = 0;
  uint32_t reserved = 0;
  uint64_t config_hash = 0;
  Tick tick = 0;
};

uint64_t ConfigHash(const RunOptions& o) {  // FNV-1a 64 of the normalised config text
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : o.config_echo) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string FileOf(const RunOptions& o, RankId rank) { return o.checkpoint_dir + "/rank-" + std::to_string(rank) + ".state"; }

// The whole file, or the problem.
std::string ReadAll(const std::string& path, Bytes& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot read the checkpoint (run with simulation.checkpoint_every_us set first)";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  out.resize(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return {};
}

// The header's problem for this run, or empty.
std::string CheckHeader(const RunOptions& o, RankId rank, RankId ranks, const std::string& path, const Bytes& bytes,
                        Header& h) {
  if (bytes.size() < sizeof(Header)) return path + ": " + std::to_string(bytes.size()) + " bytes, not a checkpoint";
  std::memcpy(&h, bytes.data(), sizeof(Header));
  if (h.magic != kMagic) return path + ": not a moefab checkpoint";
  if (h.version != kVersion)
    return path + ": checkpoint format " + std::to_string(h.version) + ", expected " + std::to_string(kVersion);
  if (h.config_hash != ConfigHash(o))
    return path + ": written by a run of another config (the config text or its --set edits differ)";
  if (h.ranks != ranks)
    return path + ": written by a run on " + std::to_string(h.ranks) + (h.ranks == 1 ? " rank" : " ranks") +
           ", this one has " + std::to_string(ranks) + "; resume on " + std::to_string(h.ranks);
  if (h.rank != rank) return path + ": holds rank " + std::to_string(h.rank) + ", expected " + std::to_string(rank);
  return {};
}

}  // namespace

void WriteCheckpoint(const RunOptions& o, Transport& transport, ClusterEngine& engine, Cluster& cluster, Tick tick,
                     spdlog::logger& log) {
  const RankId rank = transport.rank();
  Bytes bytes(sizeof(Header));
  Header h;
  h.ranks = transport.size();
  h.rank = rank;
  h.config_hash = ConfigHash(o);
  h.tick = tick;
  std::memcpy(bytes.data(), &h, sizeof(Header));
  StateWriter w(bytes);
  engine.SaveState(w);
  cluster.SaveState(w);
  const std::string path = FileOf(o, rank), tmp = path + ".tmp";
  std::error_code ec;
  std::filesystem::create_directories(o.checkpoint_dir, ec);
  bool ok = !ec;
  if (ok) {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    ok = f != nullptr && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (f) ok = std::fclose(f) == 0 && ok;
  }
  // Every rank's file is written before any replaces the last checkpoint.
  if (transport.AllreduceSum(ok ? 0 : 1) != 0) {
    std::filesystem::remove(tmp, ec);
    if (rank == 0) log.warn("checkpoint at simulated {} ps not written (a rank could not write {})", tick, o.checkpoint_dir);
    return;
  }
  std::filesystem::rename(tmp, path, ec);
  MOEFAB_CHECK(!ec, "checkpoint: rename " << tmp << ": " << ec.message());
  (void)transport.AllreduceSum(0);
  if (rank == 0)
    log.info("checkpoint: simulated {:.3f} us, {} per rank, in {}", static_cast<double>(tick) * 1e-6,
             bytes.size() >= (1u << 20) ? std::to_string(bytes.size() >> 20) + " MB" : std::to_string(bytes.size()) + " B",
             o.checkpoint_dir);
}

std::string CheckCheckpoint(const RunOptions& o, Transport& transport) {
  const RankId rank = transport.rank();
  const std::string path = FileOf(o, rank);
  Bytes bytes;
  Header h;
  std::string problem = ReadAll(path, bytes);
  if (problem.empty()) problem = CheckHeader(o, rank, transport.size(), path, bytes, h);
  // One tick for every rank (a crash between two ranks' renames leaves two).
  const Tick lo = transport.AllreduceMin(problem.empty() ? h.tick : kTickMax);
  const Tick hi = transport.AllreduceMax(problem.empty() ? h.tick : 0);
  if (problem.empty() && lo != kTickMax && lo != hi)
    problem = path + ": the ranks' checkpoints are of different ticks (" + std::to_string(lo) + " and " +
              std::to_string(hi) + " ps): the run stopped while writing one; it cannot be resumed";
  // The first rank's problem, on rank 0.
  const Tick first = transport.AllreduceMin(problem.empty() ? kTickMax : rank);
  if (first == kTickMax) return {};
  Bytes text(problem.size());
  std::memcpy(text.data(), problem.data(), problem.size());
  const auto all = transport.GatherToRoot(text);
  if (rank != 0) return "checkpoint problem";
  const auto& p = all[static_cast<size_t>(first)];
  return std::string(reinterpret_cast<const char*>(p.data()), p.size());
}

Tick ReadCheckpoint(const RunOptions& o, Transport& transport, ClusterEngine& engine, Cluster& cluster) {
  const std::string path = FileOf(o, transport.rank());
  Bytes bytes;
  if (std::string problem = ReadAll(path, bytes); !problem.empty()) throw ConfigError(problem);
  Header h;
  if (std::string problem = CheckHeader(o, transport.rank(), transport.size(), path, bytes, h); !problem.empty())
    throw ConfigError(problem);
  StateReader r(std::span<const std::byte>(bytes).subspan(sizeof(Header)), path);
  engine.LoadState(r);
  cluster.LoadState(r);
  if (!r.done()) r.Fail("bytes left over after the state (a damaged or foreign checkpoint)");
  return h.tick;
}

}  // namespace moefab
