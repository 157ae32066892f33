#include "chips/tapeout/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace moefab::chips::tapeout {
namespace {

double Seconds(const timeval& t) {
  return double(t.tv_sec) + double(t.tv_usec) * 1e-6;
}

// Starts one command in its own process group; returns its pid (-1 when fork fails).
pid_t Start(const Command& c, const std::string& log_path) {
  std::vector<char*> argv;
  for (const std::string& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls until exec.
  setpgid(0, 0);
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  if (!c.cwd.empty() && chdir(c.cwd.c_str()) != 0) _exit(126);
  execvp(argv[0], argv.data());
  _exit(127);
}

}  // namespace

std::string CommandLine(const Command& c) {
  std::string out;
  for (const std::string& a : c.argv) {
    if (!out.empty()) out += ' ';
    if (a.find_first_of(" \t'\"$\\") == std::string::npos && !a.empty()) {
      out += a;
    } else {
      out += '\'';
      for (char ch : a) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      out += '\'';
    }
  }
  return out;
}

std::string LogTail(const std::string& log_path, std::size_t max_bytes) {
  std::ifstream in(log_path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

ProcessResult RunCommands(const std::vector<Command>& commands, unsigned jobs, double timeout_seconds,
                          const std::string& log_path) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  ProcessResult total;
  total.exit_code = 0;
  jobs = std::max(1u, jobs);
  std::vector<pid_t> running;
  std::size_t next = 0;
  bool failed = false;
  {
    std::ofstream log(log_path, std::ios::app);
    for (const Command& c : commands) log << "$ " << CommandLine(c) << "\n";
  }
  while (true) {
    while (!failed && next < commands.size() && running.size() < jobs) {
      const pid_t pid = Start(commands[next], log_path);
      if (pid < 0) {
        failed = true;
        total.exit_code = -1;
        break;
      }
      running.push_back(pid);
      ++next;
    }
    if (running.empty()) break;
    bool reaped = false;
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      rusage ru{};
      const pid_t r = wait4(*it, &status, WNOHANG, &ru);
      if (r == *it) {
        reaped = true;
        total.cpu_seconds += Seconds(ru.ru_utime) + Seconds(ru.ru_stime);
        total.peak_rss_bytes = std::max<std::uint64_t>(total.peak_rss_bytes, std::uint64_t(ru.ru_maxrss) * 1024);
        const bool bad = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (bad && !failed) {
          failed = true;
          total.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
          total.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        }
        it = running.erase(it);
      } else {
        ++it;
      }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    if (timeout_seconds > 0 && elapsed > timeout_seconds && !running.empty()) {
      for (pid_t pid : running) kill(-pid, SIGKILL);
      for (pid_t pid : running) {
        int status = 0;
        rusage ru{};
        wait4(pid, &status, 0, &ru);
        total.peak_rss_bytes = std::max<std::uint64_t>(total.peak_rss_bytes, std::uint64_t(ru.ru_maxrss) * 1024);
      }
      running.clear();
      total.timed_out = true;
      if (total.exit_code == 0) total.exit_code = -1;
      break;
    }
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  total.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return total;
}

}  // namespace moefab::chips::tapeout
