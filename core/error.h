// Errors: user errors (ConfigError: bad config, input file or command line; exit code 2)
// are kept apart from our own bugs (MOEFAB_CHECK: log rank, tick and component, abort),
// in the manner of gem5's fatal() and panic().
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/types.h"

namespace moefab {

/// A bad config, weight file, trace or command line. Thrown only while building, never on
/// the hot path. The message names the file, the field, the value found and what was expected.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& what) : std::runtime_error(what) {}
};

/// Bytes from an input file quoted in a message: printable ASCII kept, other bytes as \xNN,
/// cut after `max` bytes with "...", so a corrupt file never writes raw bytes to a terminal.
[[nodiscard]] std::string Printable(std::string_view bytes, std::size_t max = 64);
/// Whether `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values > U+10FFFF).
[[nodiscard]] bool IsUtf8(std::string_view bytes);

/// Context printed by MOEFAB_CHECK: set by the runtime (rank) and the engine (tick).
struct CheckContext {
  static int& Rank();  // -1 until the runtime sets it
  static Tick& Now();  // current simulated tick of this rank
};

/// Installed by the runtime (e.g. MPI_Abort) so that a failed check on one rank stops all.
void SetCheckAbortHook(void (*hook)());

[[noreturn]] void CheckFailed(const char* file, int line, const char* cond, const std::string& msg);

/// A run that cannot go on for a reason of the model, not a bug (e.g. a fabric stall): prints
/// "moefab: error [rank R tick T]: msg", stops every rank (abort hook) and exits with 1.
[[noreturn]] void RunFailed(const std::string& msg);

}  // namespace moefab

/// Abort loudly (rank, tick, file:line, condition, message) when an invariant breaks.
#define MOEFAB_CHECK(cond, msg)                                                 \
  do {                                                                          \
    if (!(cond)) [[unlikely]] {                                                 \
      std::ostringstream moefab_check_os_;                                      \
      moefab_check_os_ << msg;                                                  \
      ::moefab::CheckFailed(__FILE__, __LINE__, #cond, moefab_check_os_.str()); \
    }                                                                           \
  } while (0)
