// The on-demand build cache: one folder per content hash, built atomically (in a temporary
// folder renamed into place), guarded across processes (MPI ranks on one host) by a lock file
// per hash, and bounded by build slots (lock files) so that many ranks asking for many experts
// at once run at most `max_concurrent_builds` builds on the host.
// Omits: eviction (delete the folder by hand; see chips/tapeout/README.md), NFS-safe locking
// (flock is per host; the rename race still keeps a shared folder consistent).
#pragma once

#include <functional>
#include <string>

namespace moefab::chips::tapeout {

/// Default cache folder: $MOEFAB_RTL_CACHE, else $XDG_CACHE_HOME/moefab/rtl, else
/// $HOME/.cache/moefab/rtl, else /tmp/moefab-rtl-cache.
std::string DefaultCacheDir();

/// Holds an exclusive flock on a file until destroyed.
class FileLock {
 public:
  /// Blocks until the lock is held. Throws ConfigError when the file cannot be opened.
  explicit FileLock(const std::string& path);
  /// Non-blocking: `held()` tells whether it was acquired.
  FileLock(const std::string& path, bool try_only);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;  // open descriptor holding the lock; -1 when not held
};

/// Result of CachedBuild.
struct CacheEntry {
  std::string dir;         // <cache>/<hash>: the finished build (never modified once there)
  bool cache_hit = false;  // true: found finished, `build` was not called
};

/// Returns <cache_dir>/<hash>, building it first if it is missing: takes the hash's lock,
/// re-checks, waits for a free build slot, calls `build(tmp_dir)` on a fresh temporary folder
/// inside cache_dir, writes the marker file `complete` and renames the folder into place.
/// When `build` throws, the temporary folder is removed and the exception propagates.
/// `max_concurrent_builds` counts builds on this host across processes sharing cache_dir.
CacheEntry CachedBuild(const std::string& cache_dir, const std::string& hash, unsigned max_concurrent_builds,
                       const std::function<void(const std::string& tmp_dir)>& build);

}  // namespace moefab::chips::tapeout
