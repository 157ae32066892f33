// libFuzzer target: the safetensors reader (header, offsets, names) and reading every tensor
// of a float or U8 dtype.
#include <cstddef>
#include <cstdint>

#include "chips/numerics/safetensors.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = moefab::fuzz::WriteInput("model.safetensors", data, size);
  try {
    const auto file = moefab::chips::SafetensorsFile::Open(path);
    for (const auto& t : file.tensors()) {
      using D = moefab::chips::SafetensorsDtype;
      if (t.data_end - t.data_begin > (1u << 20)) continue;
      if (t.dtype == D::kF32 || t.dtype == D::kF16 || t.dtype == D::kBF16 || t.dtype == D::kF64)
        (void)file.ReadFloat(t.name);
      else if (t.dtype == D::kU8)
        (void)file.ReadU8(t.name);
    }
  } catch (const moefab::ConfigError&) {
  }
  return 0;
}
