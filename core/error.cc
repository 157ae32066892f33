#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace moefab {

int& CheckContext::Rank() {
  static int rank = -1;
  return rank;
}

Tick& CheckContext::Now() {
  static Tick now = 0;
  return now;
}

namespace {
void (*g_abort_hook)() = nullptr;
}  // namespace

void SetCheckAbortHook(void (*hook)()) {
  g_abort_hook = hook;
}

void CheckFailed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "moefab internal error [rank %d tick %llu] %s:%d: check `%s` failed: %s\n", CheckContext::Rank(),
               static_cast<unsigned long long>(CheckContext::Now()), file, line, cond, msg.c_str());
  std::fflush(stderr);
  if (g_abort_hook != nullptr) g_abort_hook();  // e.g. MPI_Abort so no rank hangs
  std::abort();
}

void RunFailed(const std::string& msg) {
  std::fprintf(stderr, "moefab: error [rank %d tick %llu ps]: %s\n", CheckContext::Rank(),
               static_cast<unsigned long long>(CheckContext::Now()), msg.c_str());
  std::fflush(stderr);
  if (g_abort_hook != nullptr) g_abort_hook();
  std::exit(1);
}

}  // namespace moefab
