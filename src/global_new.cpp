// The program's operator new and delete: malloc and free, with each thread
// keeping freed blocks of up to 16 KB for its next allocations
// (core/block_cache.hpp says why). Coroutine frames come here too: Asio's
// own frame recycling is off (BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING,
// CMakeLists.txt): it keeps frames of at most 1 KB, and evicts one it keeps
// for every larger frame it cannot serve.
//
// Linked into the gateway and the unit tests.
#include <malloc.h>

#include <cstdlib>
#include <new>

#include "core/block_cache.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// A kept block is poisoned: a use after delete still fails under ASan.
#define LLMGW_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define LLMGW_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define LLMGW_POISON(p, n) ((void)(p), (void)(n))
#define LLMGW_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace {

// Constant-initialised and trivially destructible: no guard on each use.
thread_local llmgw::block_cache t_cache;
// The thread's cache has been emptied at its exit: later deletes (other
// thread-local destructors) free at once.
thread_local bool t_closed = false;
thread_local bool t_owner_registered = false;

// Empties the thread's cache when the thread ends; registered on the first
// block kept, so a thread that never keeps one registers nothing.
struct cache_owner {
  ~cache_owner() {
    t_closed = true;
    t_cache.clear([](void* p) {
      LLMGW_UNPOISON(p, malloc_usable_size(p));
      std::free(p);
    });
  }
};
thread_local cache_owner t_owner;

void register_owner() {
  t_owner_registered = true;
  [[maybe_unused]] cache_owner* volatile touched = &t_owner;  // the first use registers its destructor
}

void* allocate(std::size_t size) {
  if (llmgw::block_cache::covers(size)) {
    if (void* p = t_cache.take(size)) {
      LLMGW_UNPOISON(p, llmgw::block_cache::class_bytes(size));
      return p;
    }
    // Always the class's whole size, even on a thread whose cache is
    // closed: a sized delete, on whichever thread, counts on it.
    size = llmgw::block_cache::class_bytes(size);
  }
  for (;;) {
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

// `usable`: what the block holds (at least its class's bytes).
void release(void* p, std::size_t usable) noexcept {
  if (!t_closed && t_cache.keep(p, usable)) {
    LLMGW_POISON(p, usable);
    if (!t_owner_registered) register_owner();
    return;
  }
  std::free(p);
}

}  // namespace

// Every form but the aligned ones (which keep the library's pair): a
// sanitizer's runtime defines each form, and one of its news freed by ours
// (or the reverse) would be a mismatch.
void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }

void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& nt) noexcept { return operator new(size, nt); }

// Coroutine frames are deleted with no size: the block says how much it holds.
void operator delete(void* p) noexcept {
  if (p != nullptr) release(p, malloc_usable_size(p));
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { operator delete(p); }

void operator delete(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
  if (!llmgw::block_cache::covers(size)) {
    std::free(p);
    return;
  }
  release(p, llmgw::block_cache::class_bytes(size));  // what allocate() gave it
}
// Arrays are rare on the request path: their blocks are asked their size,
// as for an unsized delete, rather than trusting the count given here.
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
