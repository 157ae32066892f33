// The moefab subcommands other than `run` (run.h). Each returns the process exit code and
// throws ConfigError for bad input (main turns it into exit code 2).
#pragma once

#include <string>

namespace moefab {

struct CommandArgs {
  std::string config_path;             // CONFIG
  std::string out_dir;                 // --out
  std::string cache_dir;               // --cache (tapeout)
};

int TapeoutCommand(const CommandArgs& args);
int AreaCommand(const CommandArgs& args);
int FabricBenchCommand(const CommandArgs& args);


}  // namespace moefab
