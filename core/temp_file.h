// The temporary file being written (a results file's ".name.tmp" before its rename), so that a
// SIGINT/SIGTERM handler can remove it: no partial or temporary file survives an interrupt.
// One file at a time per process (outputs are written one after another).
#pragma once

#include <string>

namespace moefab {

/// Marks `path` as the temporary file in progress until the guard goes out of scope.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::string& path);
  ~TempFileGuard();
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
};

/// Async-signal-safe: unlinks the temporary file in progress, if any.
void RemoveTempFileInProgress() noexcept;

}  // namespace moefab
