// libFuzzer target: the text-format config loader (parse, defaults, every range check, the
// derived checks). Bad input must be a ConfigError; anything else (a crash, a sanitizer
// report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "runtime/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)moefab::LoadConfigText(std::string(reinterpret_cast<const char*>(data), size), "fuzz.textproto");
  } catch (const moefab::ConfigError&) {
  }
  return 0;
}
