// The CUDA driver calls this runtime makes itself, beside Halide's runtime (which loads the
// kernels and launches them): page-locked staging buffers, asynchronous copies on a stream
// of the caller's own, and sending Halide's launches to that stream. libcuda is opened with
// dlopen, as Halide's runtime opens it: the slim GPU build links no CUDA library and runs
// where only the driver is installed. Only in builds with MICRONET_HAVE_CUDA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace micronet::cuda {

// "" when the calls below can be made, else why not (no libcuda, an entry point missing).
const std::string& unavailable();

// Halide's CUDA context (created when there is none yet), current on this thread while
// the scope lives.
class ScopedContext {
 public:
  ScopedContext();
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;
};

// While one lives, the kernels Halide launches from this thread (and its copies and syncs)
// go to `stream`; outside any scope, to Halide's default (the legacy default stream).
class ScopedStream {
 public:
  explicit ScopedStream(void* stream);
  ~ScopedStream();
  ScopedStream(const ScopedStream&) = delete;
  ScopedStream& operator=(const ScopedStream&) = delete;

 private:
  void* previous_;
};

// A stream that synchronises with the legacy default stream (so Halide's synchronous
// copies on that stream stay ordered with the work on this one).
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  void* get() const { return stream_; }
  void sync() const;

 private:
  void* stream_ = nullptr;
};

// Page-locked host memory: the DMA engine reads it directly, so a copy from it runs at the
// bus's speed and asynchronously (from pageable memory the driver stages it itself, slower).
class PinnedBuffer {
 public:
  explicit PinnedBuffer(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  float* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  float* data_ = nullptr;
  size_t bytes_ = 0;
};

// Enqueued on `stream`; the host side must stay untouched until the stream has passed them.
void copy_to_device_async(uint64_t device_ptr, const void* host, size_t bytes, void* stream);
void copy_to_host_async(void* host, uint64_t device_ptr, size_t bytes, void* stream);

}  // namespace micronet::cuda
