#include "core/background_thread.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <string>

namespace llmgw {

void become_background_thread(const char* name) {
  std::string full = "llmgw-";
  full.append(name, strnlen(name, 9));
  pthread_setname_np(pthread_self(), full.c_str());
  sched_param param{};
  param.sched_priority = 0;  // the only one SCHED_BATCH takes
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
}

}  // namespace llmgw
