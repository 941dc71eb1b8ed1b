// Halide's scratch memory (halide_malloc / halide_free) for the CPU kernels: a per-thread
// cache of freed blocks by power-of-two size class in front of the C allocator.
//
// Why: a kernel allocates its root intermediates on every call (the conv result a Dynamic
// Shift-Max pools, the pool, both FCs and the coefficients: five blocks of 0.1-16 KB per
// Shift-Max layer) and frees them before it returns, so a model asks for the same few sizes
// over and over. glibc serves blocks above its 1 KB thread cache from its bins, and Halide's
// profiler put halide_malloc at ~10 % of M0's 2x2-plane Shift-Max kernels at 64x64. Here a
// freed block goes back to its thread's list for its class and the next request of that
// class takes it: a few loads and stores, no lock.
//
// Bounds: blocks of up to 1 MB are cached, at most 16 per class per thread; larger ones,
// and blocks beyond that count, go straight to the C allocator. A thread's cached blocks are
// freed when it exits. Blocks are 64-byte aligned (Halide asks for 32) with 64 bytes of
// slack after the end (Halide may read 8 bytes past a buffer).
#pragma once

#include <cstddef>

namespace micronet {

// Routes halide_malloc / halide_free of the kernels in this process through the cache
// (halide_set_custom_malloc / _free). Idempotent. It runs when the program loads (a static
// initializer, before any kernel: a block must never reach the other allocator's free); the
// runtime's threading setup calls it too, which keeps the object in every link.
void install_scratch_allocator();

// The allocator itself, for tests: size 0 is valid (a minimal block).
void* scratch_malloc(void* user_context, size_t bytes);
void scratch_free(void* user_context, void* ptr);

}  // namespace micronet
