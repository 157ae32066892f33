#include "core/temp_file.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

namespace moefab {

namespace {
char g_path[4096];                     // the temporary file in progress (NUL-terminated)
volatile std::sig_atomic_t g_set = 0;  // 1 while g_path names it
}  // namespace

TempFileGuard::TempFileGuard(const std::string& path) {
  g_set = 0;
  if (path.size() >= sizeof(g_path)) return;  // not tracked: longer than any real path here
  std::memcpy(g_path, path.c_str(), path.size() + 1);
  g_set = 1;
}

TempFileGuard::~TempFileGuard() {
  g_set = 0;
}

void RemoveTempFileInProgress() noexcept {
  if (g_set) ::unlink(g_path);
}

}  // namespace moefab
