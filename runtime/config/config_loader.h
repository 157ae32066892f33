// Reads a text-format protobuf config (configs/moefab.proto), validates it across layers and
// converts it into RunOptions. All problems are collected and reported together in one
// ConfigError, each line naming the file, the field path, the value found and what was expected.
#pragma once

#include <functional>
#include <string>

#include "runtime/config/options.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace moefab {

/// A change to the parsed config message before it is validated (the command line's --set).
using ConfigEdit = std::function<void(google::protobuf::Message& config)>;

/// Parses and validates the config file at `path`. Throws ConfigError.
RunOptions LoadConfigFile(const std::string& path);

/// Parses and validates config text; `name` stands for the file in messages. Throws ConfigError.
RunOptions LoadConfigText(const std::string& text, const std::string& name);

/// LoadConfigText with `edit` applied to the parsed message first. Throws ConfigError.
RunOptions LoadConfigText(const std::string& text, const std::string& name, const ConfigEdit& edit);

/// The text of the config file at `path`. Throws ConfigError (one line) when it cannot be
/// read or is a folder.
std::string ReadConfigFile(const std::string& path);

/// The embedded default config (configs/tiny.textproto, compiled in).
const std::string& EmbeddedDefaultConfig();

}  // namespace moefab
