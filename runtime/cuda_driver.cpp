#include "runtime/cuda_driver.h"

#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <type_traits>

#include "HalideRuntimeCuda.h"
#include "runtime/halide_model.h"  // RunError

// Halide's runtime defines these (weak, C linkage); HalideRuntimeCuda.h declares only the
// setters. A CUcontext is a pointer.
extern "C" int halide_cuda_acquire_context(void* user_context, void** ctx, bool create);
extern "C" int halide_cuda_release_context(void* user_context);

namespace micronet::cuda {

namespace {

using CUresult = int;
using CUcontext = void*;
using CUstream = void*;
using CUdeviceptr = unsigned long long;

// The entry points used, by their ABI names (the _v2 ones are what cuda.h's macros name).
struct Driver {
  CUresult (*ctx_push)(CUcontext) = nullptr;
  CUresult (*ctx_pop)(CUcontext*) = nullptr;
  CUresult (*stream_create)(CUstream*, unsigned) = nullptr;
  CUresult (*stream_destroy)(CUstream) = nullptr;
  CUresult (*stream_sync)(CUstream) = nullptr;
  CUresult (*host_alloc)(void**, size_t, unsigned) = nullptr;
  CUresult (*host_free)(void*) = nullptr;
  CUresult (*copy_htod_async)(CUdeviceptr, const void*, size_t, CUstream) = nullptr;
  CUresult (*copy_dtoh_async)(void*, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*error_name)(CUresult, const char**) = nullptr;
  std::string missing;  // "" when every entry point was found
};

const Driver& driver() {
  static const Driver d = [] {
    Driver d;
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libcuda.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      d.missing = "libcuda.so.1 not found (no NVIDIA driver)";
      return d;
    }
    auto load = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn && d.missing.empty()) d.missing = std::string("libcuda has no ") + name;
    };
    load(d.ctx_push, "cuCtxPushCurrent_v2");
    load(d.ctx_pop, "cuCtxPopCurrent_v2");
    load(d.stream_create, "cuStreamCreate");
    load(d.stream_destroy, "cuStreamDestroy_v2");
    load(d.stream_sync, "cuStreamSynchronize");
    load(d.host_alloc, "cuMemHostAlloc");
    load(d.host_free, "cuMemFreeHost");
    load(d.copy_htod_async, "cuMemcpyHtoDAsync_v2");
    load(d.copy_dtoh_async, "cuMemcpyDtoHAsync_v2");
    load(d.error_name, "cuGetErrorName");
    return d;
  }();
  return d;
}

void check(CUresult rc, const char* what) {
  if (rc == 0) return;
  const char* name = nullptr;
  if (driver().error_name) driver().error_name(rc, &name);
  throw RunError(std::string("cuda: ") + what + " failed (" + (name ? name : "CUDA error") + " " +
                 std::to_string(rc) + ")");
}

const Driver& usable() {
  const Driver& d = driver();
  if (!d.missing.empty()) throw RunError("cuda: " + d.missing);
  return d;
}

thread_local void* tls_stream = nullptr;
halide_cuda_get_stream_t halide_default_stream = nullptr;

int stream_for_halide(void* user_context, void* ctx, void** stream) {
  if (tls_stream) {
    *stream = tls_stream;
    return 0;
  }
  return halide_default_stream(user_context, ctx, stream);
}

void install_stream_hook() {
  static std::once_flag once;
  std::call_once(once, [] { halide_default_stream = halide_set_cuda_get_stream(stream_for_halide); });
}

}  // namespace

const std::string& unavailable() { return driver().missing; }

ScopedContext::ScopedContext() {
  const Driver& d = usable();
  void* ctx = nullptr;
  if (halide_cuda_acquire_context(nullptr, &ctx, true) != 0 || !ctx)
    throw RunError("cuda: no CUDA context (is an NVIDIA device and driver present? `micronet targets`)");
  try {
    check(d.ctx_push(ctx), "cuCtxPushCurrent");
  } catch (...) {
    halide_cuda_release_context(nullptr);
    throw;
  }
}

ScopedContext::~ScopedContext() {
  CUcontext old = nullptr;
  driver().ctx_pop(&old);
  halide_cuda_release_context(nullptr);
}

ScopedStream::ScopedStream(void* stream) : previous_(tls_stream) {
  install_stream_hook();
  tls_stream = stream;
}

ScopedStream::~ScopedStream() { tls_stream = previous_; }

Stream::Stream() {
  ScopedContext ctx;
  check(usable().stream_create(&stream_, 0 /* CU_STREAM_DEFAULT: blocking */), "cuStreamCreate");
}

Stream::~Stream() {
  if (!stream_) return;
  ScopedContext ctx;
  driver().stream_sync(stream_);
  driver().stream_destroy(stream_);
}

void Stream::sync() const {
  ScopedContext ctx;
  check(driver().stream_sync(stream_), "cuStreamSynchronize");
}

PinnedBuffer::PinnedBuffer(size_t bytes) : bytes_(bytes) {
  ScopedContext ctx;
  void* p = nullptr;
  check(usable().host_alloc(&p, std::max<size_t>(bytes, 64), 0), "cuMemHostAlloc (page-locked staging buffer)");
  data_ = static_cast<float*>(p);
}

PinnedBuffer::~PinnedBuffer() {
  if (!data_) return;
  ScopedContext ctx;
  driver().host_free(data_);
}

void copy_to_device_async(uint64_t device_ptr, const void* host, size_t bytes, void* stream) {
  ScopedContext ctx;
  check(driver().copy_htod_async(device_ptr, host, bytes, stream), "cuMemcpyHtoDAsync (input upload)");
}

void copy_to_host_async(void* host, uint64_t device_ptr, size_t bytes, void* stream) {
  ScopedContext ctx;
  check(driver().copy_dtoh_async(host, device_ptr, bytes, stream), "cuMemcpyDtoHAsync (logits download)");
}

}  // namespace micronet::cuda
