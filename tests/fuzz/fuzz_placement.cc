// libFuzzer target: the placement file reader. The first two bytes choose the model's layers
// and experts (1 to 16 each) that the file's header must match; the rest is the file.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "router/placement_file.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint32_t layers = 1 + data[0] % 16, experts = 1 + data[1] % 16;
  const std::string path = moefab::fuzz::WriteInput("placement.txt", data + 2, size - 2);
  try {
    (void)moefab::router::ReadPlacementFile(path, layers, experts);
  } catch (const moefab::ConfigError&) {
  }
  return 0;
}
