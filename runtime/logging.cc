#include "runtime/logging.h"

#include <unistd.h>

#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace moefab {

namespace {
const char* const kLayers[] = {"chips", "fabric", "router", "runtime", "progress"};
}  // namespace

void SetUpLogging(const LoggingOptions& options) {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  console->set_level(options.rank == 0 ? (options.verbose ? spdlog::level::debug : spdlog::level::info)
                                       : spdlog::level::warn);
  sinks.push_back(console);
  if (!options.log_file.empty()) {
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.log_file, true);
    file->set_level(spdlog::level::debug);
    sinks.push_back(file);
  }
  const std::string pattern = "[%H:%M:%S.%e] [rank " + std::to_string(options.rank) + "] [%n] %^%l%$: %v";
  // Progress lines: on a terminal rank 0 draws a live bar instead (ProgressOnTerminal), so
  // they go to the file alone there.
  std::vector<spdlog::sink_ptr> progress_sinks = sinks;
  if (ProgressOnTerminal(options.rank)) progress_sinks.erase(progress_sinks.begin());
  for (const char* name : kLayers) {
    spdlog::drop(name);
    const bool progress = std::string(name) == "progress";
    auto logger = progress ? std::make_shared<spdlog::logger>(name, progress_sinks.begin(), progress_sinks.end())
                           : std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    logger->set_pattern(pattern);
    logger->set_level(spdlog::level::debug);
    logger->flush_on(spdlog::level::trace);  // every line: a killed rank's log ends with its last line
    spdlog::register_logger(logger);
  }
}

bool ProgressOnTerminal(int rank) {
  return rank == 0 && isatty(STDERR_FILENO) != 0;
}

std::shared_ptr<spdlog::logger> Logger(const std::string& layer) {
  auto logger = spdlog::get(layer);
  if (!logger) {
    SetUpLogging(LoggingOptions{});
    logger = spdlog::get(layer);
  }
  return logger;
}

}  // namespace moefab
