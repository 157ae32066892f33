// Reads a text-format protobuf config (configs/moefab.proto), validates it across layers and
// converts it into RunOptions. All problems are collected and reported together in one
// ConfigError, each line naming the file, the field path, the value found and what was expected.
#pragma once

#include <string>

#include "runtime/config/options.h"

namespace moefab {

/// Parses and validates the config file at `path`. Throws ConfigError.
RunOptions LoadConfigFile(const std::string& path);

/// Parses and validates config text; `name` stands for the file in messages. Throws ConfigError.
RunOptions LoadConfigText(const std::string& text, const std::string& name);

/// The embedded default config (configs/tiny.textproto, compiled in).
const std::string& EmbeddedDefaultConfig();

}  // namespace moefab
