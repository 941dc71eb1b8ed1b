#include "runtime/scratch_allocator.h"

#include <HalideRuntime.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>

namespace micronet {

namespace {

constexpr size_t kAlign = 64;            // header size and payload alignment
constexpr size_t kSlack = 64;            // readable bytes past the end
constexpr int kMinShift = 7;             // smallest class: 128 bytes
constexpr int kMaxShift = 20;            // largest cached class: 1 MB
constexpr int kClasses = kMaxShift - kMinShift + 1;
constexpr int kPerClass = 16;            // cached blocks per class and thread
constexpr uint32_t kUncached = 0xffffffffu;

// The header in front of each payload: which class the block belongs to.
struct Header {
  uint32_t size_class;
};
static_assert(sizeof(Header) <= kAlign, "header must fit the alignment gap");

// Trivially destructible, so it stays usable while its thread exits (a kernel's buffer freed
// after the flush below goes to the C allocator).
struct ThreadCache {
  void* blocks[kClasses][kPerClass];
  int count[kClasses];
  bool closed;
};
thread_local ThreadCache t_cache;

// Frees a thread's cached blocks when it exits, and closes its cache.
struct Flush {
  ~Flush() {
    for (int c = 0; c < kClasses; ++c) {
      for (int i = 0; i < t_cache.count[c]; ++i) std::free(t_cache.blocks[c][i]);
      t_cache.count[c] = 0;
    }
    t_cache.closed = true;
  }
};
thread_local Flush t_flush;

// This thread's cache, or null once it has been flushed.
ThreadCache* cache() {
  static_cast<void>(&t_flush);  // constructs it on first use, so its destructor runs at exit
  return t_cache.closed ? nullptr : &t_cache;
}

// The class of a request: the smallest power of two >= the payload plus its slack.
uint32_t class_of(size_t bytes) {
  const size_t need = bytes + kSlack;
  int shift = kMinShift;
  while (shift <= kMaxShift && (size_t(1) << shift) < need) ++shift;
  return shift > kMaxShift ? kUncached : uint32_t(shift - kMinShift);
}

void* payload_of(void* block) { return static_cast<char*>(block) + kAlign; }
void* block_of(void* payload) { return static_cast<char*>(payload) - kAlign; }

}  // namespace

void* scratch_malloc(void*, size_t bytes) {
  const uint32_t c = class_of(bytes);
  if (c != kUncached) {
    if (ThreadCache* tc = cache(); tc && tc->count[c] > 0) return payload_of(tc->blocks[c][--tc->count[c]]);
  }
  const size_t payload = c == kUncached ? (bytes + kSlack + kAlign - 1) / kAlign * kAlign : size_t(1) << (c + kMinShift);
  void* block = std::aligned_alloc(kAlign, kAlign + payload);
  if (!block) return nullptr;  // Halide reports the failed allocation
  static_cast<Header*>(block)->size_class = c;
  return payload_of(block);
}

void scratch_free(void*, void* ptr) {
  if (!ptr) return;
  void* block = block_of(ptr);
  const uint32_t c = static_cast<Header*>(block)->size_class;
  if (c != kUncached) {
    if (ThreadCache* tc = cache(); tc && tc->count[c] < kPerClass) {
      tc->blocks[c][tc->count[c]++] = block;
      return;
    }
  }
  std::free(block);
}

void install_scratch_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    halide_set_custom_malloc(scratch_malloc);
    halide_set_custom_free(scratch_free);
  });
}

namespace {
// Installed when the program (or the Python module) loads, before any kernel can run: a
// block allocated by one allocator must never reach the other's free.
const bool g_installed_at_load = (install_scratch_allocator(), true);
}  // namespace

}  // namespace micronet
