#pragma once
// Threads that do the gateway's bookkeeping beside its request workers (the
// record writer, the database inserter) and may share their core. They are
// named, so `top -H` and /proc tell them apart, and scheduled SCHED_BATCH:
// normal weight, so they get their fair share and keep up, but a wake-up of
// theirs does not preempt a running worker in the middle of its turn. Each
// such preemption (about a thousand a second with records to SQLite at full
// load) cost the worker a context switch and its caches, and the requests
// it was serving waited for a whole transaction; measured on one shared
// core, 37.9k -> 41.2k requests/s (8 interleaved runs) with p99 no worse.
namespace llmgw {

// Names the calling thread ("llmgw-" and at most 9 more characters: the
// kernel keeps 15) and makes it SCHED_BATCH. Best effort: a system that
// refuses either leaves the thread as it was.
void become_background_thread(const char* name);

}  // namespace llmgw
