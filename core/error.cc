#include "core/error.h"

#include <cstdint>
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

std::string Printable(std::string_view bytes, std::size_t max) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      out.append(esc, 4);
    }
  }
  if (bytes.size() > max) out.append(3, '.');
  return out;
}

bool IsUtf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > bytes.size()) return false;
    std::uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(bytes[i + k]);
      if ((d >> 6) != 0x2) return false;
      cp = (cp << 6) | (d & 0x3fu);
    }
    static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace moefab
