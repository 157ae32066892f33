// libFuzzer target: the Hugging Face config.json import (strict JSON reader, field checks).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "moefab.pb.h"
#include "runtime/config/hf_config.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = moefab::fuzz::WriteInput("config.json", data, size);
  moefab::config::Model model;
  try {
    moefab::ApplyHfConfig(path, model);
  } catch (const moefab::ConfigError&) {
  }
  return 0;
}
