#pragma once
// For tests only: the threads of this process by name, as /proc shows them.
#include <sched.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace llmgw {

// The scheduling policy (SCHED_OTHER, SCHED_BATCH…) of each thread of this
// process named `name`.
inline std::vector<int> policies_of_threads_named(std::string_view name) {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (!std::getline(comm, line) || line != name) continue;
    out.push_back(sched_getscheduler(std::stoi(task.path().filename().string())));
  }
  return out;
}

// The same, once at least one such thread exists (a thread names itself
// when it begins: shortly after it was started), or empty after a second.
inline std::vector<int> policies_once_named(std::string_view name) {
  for (int i = 0; i < 100; ++i) {
    if (auto found = policies_of_threads_named(name); !found.empty()) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

}  // namespace llmgw
