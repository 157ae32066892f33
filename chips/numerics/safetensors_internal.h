// Private to chips/numerics/safetensors*.cc and gpt_oss_weights.cc: the error helpers of the
// safetensors readers. Not part of the API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moefab::chips::detail {

/// "[a, b, c]".
std::string ShapeText(const std::vector<std::uint64_t>& shape);
/// Throws ConfigError "FILE: tensor 'NAME': PROBLEM" (the name made printable).
[[noreturn]] void FailTensor(const std::string& file, const std::string& tensor, const std::string& problem);

}  // namespace moefab::chips::detail
