#include "chips/tapeout/build_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "core/error.h"

namespace moefab::chips::tapeout {
namespace fs = std::filesystem;

namespace {

constexpr const char* kCompleteMarker = "complete";

bool IsComplete(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / kCompleteMarker, ec);
}

std::string UniqueSuffix() {
  static std::atomic<unsigned> counter{0};
  std::ostringstream os;
  os << getpid() << "-" << counter.fetch_add(1) << "-" << std::chrono::steady_clock::now().time_since_epoch().count();
  return os.str();
}

}  // namespace

std::string DefaultCacheDir() {
  if (const char* e = std::getenv("MOEFAB_RTL_CACHE"); e != nullptr && *e != '\0') return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0') {
    return (fs::path(x) / "moefab" / "rtl").string();
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return (fs::path(h) / ".cache" / "moefab" / "rtl").string();
  }
  return "/tmp/moefab-rtl-cache";
}

FileLock::FileLock(const std::string& path) : FileLock(path, false) {
  if (fd_ < 0) throw ConfigError(path + ": cannot lock the RTL build cache: " + std::strerror(errno));
}

FileLock::FileLock(const std::string& path, bool try_only) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  int r;
  do {
    r = flock(fd, LOCK_EX | (try_only ? LOCK_NB : 0));
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    close(fd);
    return;
  }
  fd_ = fd;
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

CacheEntry CachedBuild(const std::string& cache_dir, const std::string& hash, unsigned max_concurrent_builds,
                       const std::function<void(const std::string& tmp_dir)>& build) {
  const fs::path root(cache_dir);
  const fs::path final_dir = root / hash;
  if (IsComplete(final_dir)) return {final_dir.string(), true};
  std::error_code ec;
  fs::create_directories(root / ".locks", ec);
  if (ec) {
    throw ConfigError(cache_dir + ": cannot create the RTL build cache folder: " + ec.message() +
                      " (set BuildOptions::cache_dir or $MOEFAB_RTL_CACHE)");
  }
  // One builder per hash: whoever waits here finds the finished folder afterwards.
  FileLock hash_lock((root / ".locks" / (hash + ".lock")).string());
  if (IsComplete(final_dir)) return {final_dir.string(), true};

  // A build slot bounds concurrent builds on this host (all processes sharing the folder).
  const unsigned slots = std::max(1u, max_concurrent_builds);
  std::unique_ptr<FileLock> slot;
  while (!slot) {
    for (unsigned k = 0; k < slots && !slot; ++k) {
      auto l = std::make_unique<FileLock>((root / ".locks" / ("slot" + std::to_string(k) + ".lock")).string(), true);
      if (l->held()) slot = std::move(l);
    }
    if (!slot) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  const fs::path tmp = root / (".tmp-" + hash.substr(0, 16) + "-" + UniqueSuffix());
  fs::create_directories(tmp);
  try {
    build(tmp.string());
    std::ofstream(tmp / kCompleteMarker) << hash << "\n";
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  // A stale incomplete folder (a crashed builder without the lock, e.g. on another host)
  // is moved away first; a complete one means another builder won the race: keep theirs.
  if (fs::exists(final_dir, ec) && !IsComplete(final_dir)) {
    fs::rename(final_dir, root / (".stale-" + hash.substr(0, 16) + "-" + UniqueSuffix()), ec);
  }
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    if (!IsComplete(final_dir)) {
      throw ConfigError(final_dir.string() + ": cannot publish the RTL build into the cache");
    }
  }
  return {final_dir.string(), false};
}

}  // namespace moefab::chips::tapeout
