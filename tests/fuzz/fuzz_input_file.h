// The fuzz targets' shared step: the readers take a path, so each input is written to a file
// of this process first (one per target, rewritten for every input).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace moefab::fuzz {

/// Writes `data` to a per-process file named after `tag` and returns its path.
inline std::string WriteInput(const char* tag, const std::uint8_t* data, std::size_t size) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("moefab-fuzz-" + std::to_string(::getpid()) + "-" + tag)).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  return path;
}

}  // namespace moefab::fuzz
