// libFuzzer target: the routing trace reader (header, records, limits before allocation).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "router/routing_trace.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = moefab::fuzz::WriteInput("routing.trace", data, size);
  try {
    const auto trace = moefab::router::ReadRoutingTrace(path);
    (void)moefab::router::ExpertLoadOf(trace);
  } catch (const moefab::ConfigError&) {
  }
  return 0;
}
