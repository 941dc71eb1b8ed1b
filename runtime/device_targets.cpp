#include "runtime/device_targets.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

#include "HalideRuntime.h"
#include "models/kernel_abi.h"
#include "runtime/halide_model.h"
#ifdef MICRONET_HAVE_OPENCL
#include "HalideRuntimeOpenCL.h"
#endif
#ifdef MICRONET_HAVE_CUDA
#include "HalideRuntimeCuda.h"
#include "runtime/cuda_driver.h"
#endif
#include "runtime/finite_copy.h"
#include "runtime/threading.h"

namespace micronet {

#ifdef MICRONET_HAVE_OPENCL
const std::vector<KernelEntry>& kernels_opencl();
#endif
#ifdef MICRONET_HAVE_CUDA
const std::vector<KernelEntry>& kernels_cuda();
#endif

namespace {

// Halide reports device errors through the process-wide handler that kernel_call.cpp
// installs (it appends to a thread-local string); we only need the return codes here and
// rebuild a message.
const halide_device_interface_t* interface_for(const std::string& target) {
#ifdef MICRONET_HAVE_OPENCL
  if (target == "opencl") return halide_opencl_device_interface();
#endif
#ifdef MICRONET_HAVE_CUDA
  if (target == "cuda") return halide_cuda_device_interface();
#endif
  throw RunError("unknown or not compiled target '" + target + "' (this build has: " + [] {
    std::string s;
    for (const std::string& t : compiled_targets()) s += (s.empty() ? "" : ", ") + t;
    return s;
  }() + ")");
}

void check(int rc, const std::string& what) {
  if (rc != 0) throw RunError(what + " failed (Halide error " + std::to_string(rc) + ")");
}

struct Buf {
  halide_buffer_t b{};
  halide_dimension_t d{};
  Buf() {
    b.type = halide_type_t(halide_type_float, 32);
    b.dimensions = 1;
    b.dim = &d;
  }
};

}  // namespace

std::vector<std::string> compiled_targets() {
  std::vector<std::string> t = {"host"};
#ifdef MICRONET_HAVE_OPENCL
  t.push_back("opencl");
#endif
#ifdef MICRONET_HAVE_CUDA
  t.push_back("cuda");
#endif
  return t;
}

const std::vector<KernelEntry>& kernels_for_target(const std::string& target) {
  if (target == "host") return all_kernels();
#ifdef MICRONET_HAVE_OPENCL
  if (target == "opencl") return kernels_opencl();
#endif
#ifdef MICRONET_HAVE_CUDA
  if (target == "cuda") return kernels_cuda();
#endif
  interface_for(target);  // throws the error naming the compiled targets
  return all_kernels();
}

const KernelEntry* find_kernel(const std::string& name, const std::string& target) {
  for (const KernelEntry& k : kernels_for_target(target))
    if (name == k.name) return &k;
  return nullptr;
}

int default_worker_threads(const std::string& target) {
  return target == "host" ? 1 : std::min(available_cpus(), 8);
}

std::string probe_target(const std::string& target) {
  if (target == "host") return "";
  const halide_device_interface_t* iface;
  try {
    iface = interface_for(target);
  } catch (const std::exception& e) {
    return e.what();
  }
  Buf buf;
  buf.d = halide_dimension_t(0, 16, 1);
  const int rc = halide_device_malloc(nullptr, &buf.b, iface);
  if (rc != 0)
    return "no usable " + target + " device or driver (Halide error " + std::to_string(rc) + ")";
  halide_device_free(nullptr, &buf.b);
  return "";
}

struct DeviceRun::Impl {
  const halide_device_interface_t* iface = nullptr;
  std::string target;
  struct Region {
    uintptr_t start = 0;
    size_t bytes = 0;
    Buf backing;
    std::map<size_t, std::unique_ptr<Buf>> crops;  // by element offset
  };
  std::unique_ptr<char[]> shadow;  // address space only, never touched
  std::vector<std::unique_ptr<Region>> regions;  // tensors..., logits last
  std::map<uintptr_t, Region*> by_start;
  // Constant host buffers (weights, index maps, dummies) uploaded once, by host address.
  std::map<uintptr_t, std::unique_ptr<Buf>> constants;
  std::string input_path = "pageable";
#ifdef MICRONET_HAVE_CUDA
  // The cuda input path (null: the plain one): this run's stream (its kernels, copies and
  // syncs; one per DeviceRun, so runs of other models never wait on it), page-locked
  // buffers for the input and the logits.
  std::unique_ptr<cuda::Stream> stream;
  std::unique_ptr<cuda::PinnedBuffer> input_staging, logits_staging;
#endif

  uint64_t handle_at(Region& r, size_t elem) {
    if (elem == 0) return r.backing.b.device;
    auto it = r.crops.find(elem);
    if (it != r.crops.end()) return it->second->b.device;
    auto c = std::make_unique<Buf>();
    c->d = halide_dimension_t(int(elem), int(r.bytes / 4 - elem), 1);
    check(halide_device_crop(nullptr, &r.backing.b, &c->b), target + " device crop");
    const uint64_t h = c->b.device;
    r.crops.emplace(elem, std::move(c));
    return h;
  }
  // Copies `floats` floats between `host` and element `offset` of region r.
  void copy(Region& r, size_t offset, float* host, size_t floats, bool to_device, const std::string& what) {
    if ((offset + floats) * sizeof(float) > r.bytes)
      throw RunError(target + " " + what + ": " + std::to_string(floats) +
                     " floats do not fit the device buffer");
    Buf b;
    b.d = halide_dimension_t(0, int(floats), 1);
    b.b.host = reinterpret_cast<uint8_t*>(host);
    b.b.device = handle_at(r, offset);
    b.b.device_interface = iface;
    if (to_device) {
      b.b.set_host_dirty(true);
      check(halide_copy_to_device(nullptr, &b.b, iface), target + " " + what);
    } else {
      b.b.set_device_dirty(true);
      check(halide_copy_to_host(nullptr, &b.b), target + " " + what);
    }
  }
};

DeviceRun::DeviceRun(const std::string& target, const std::vector<size_t>& tensor_bytes,
                     size_t logits_floats)
    : impl_(std::make_unique<Impl>()) {
  impl_->target = target;
  impl_->iface = interface_for(target);
  std::vector<size_t> sizes = tensor_bytes;
  sizes.push_back(logits_floats * sizeof(float));
  size_t total = 0;
  for (size_t& s : sizes) {
    s = std::max<size_t>(64, (s + 63) / 64 * 64);
    total += s;
  }
  impl_->shadow.reset(new char[total]);
  uintptr_t at = reinterpret_cast<uintptr_t>(impl_->shadow.get());
  for (size_t s : sizes) {
    auto r = std::make_unique<Impl::Region>();
    r->start = at;
    r->bytes = s;
    r->backing.d = halide_dimension_t(0, int(s / 4), 1);
    const int rc = halide_device_malloc(nullptr, &r->backing.b, impl_->iface);
    if (rc != 0)
      throw RunError("cannot allocate " + std::to_string(s) + " bytes on the " + target +
                     " device (Halide error " + std::to_string(rc) + "): is a " + target +
                     " driver and device present? (`micronet targets`)");
    impl_->by_start[at] = r.get();
    impl_->regions.push_back(std::move(r));
    at += s;
  }
#ifdef MICRONET_HAVE_CUDA
  if (target == "cuda") {
    const char* env = std::getenv("MICRONET_CUDA_STAGING");
    if (env && std::string(env) == "0") {
      impl_->input_path = "pageable (MICRONET_CUDA_STAGING=0)";
    } else if (!cuda::unavailable().empty()) {
      impl_->input_path = "pageable (" + cuda::unavailable() + ")";
    } else {
      try {
        impl_->stream = std::make_unique<cuda::Stream>();
        impl_->input_staging = std::make_unique<cuda::PinnedBuffer>(tensor_bytes.at(0));
        impl_->logits_staging = std::make_unique<cuda::PinnedBuffer>(logits_floats * sizeof(float));
        impl_->input_path = "pinned";
      } catch (const std::exception& e) {
        // Page-locked memory is a limited resource: without it the run still works.
        impl_->input_staging.reset();
        impl_->logits_staging.reset();
        impl_->stream.reset();
        impl_->input_path = std::string("pageable (") + e.what() + ")";
        std::cerr << "warning: " << e.what() << ": the input goes up from pageable memory\n";
      }
    }
  }
#endif
}

DeviceRun::~DeviceRun() {
#ifdef MICRONET_HAVE_CUDA
  if (impl_->stream) impl_->stream->sync();
#endif
  for (auto& r : impl_->regions) {
    for (auto& c : r->crops) halide_device_release_crop(nullptr, &c.second->b);
    halide_device_free(nullptr, &r->backing.b);
  }
  for (auto& c : impl_->constants) halide_device_free(nullptr, &c.second->b);
}

float* DeviceRun::tensor(int id) const {
  return reinterpret_cast<float*>(impl_->regions[id]->start) + kRowHalo;
}
float* DeviceRun::logits() const { return reinterpret_cast<float*>(impl_->regions.back()->start); }

size_t DeviceRun::upload_input_checked(const float* host, size_t floats) {
#ifdef MICRONET_HAVE_CUDA
  if (impl_->input_staging) {
    if ((floats + kRowHalo) * sizeof(float) > impl_->input_staging->bytes())
      throw RunError("cuda input upload: " + std::to_string(floats) + " floats do not fit the staging buffer");
    // Chunks of a quarter of the input, 64 KiB .. 1 MiB: a batch-1 224x224 image (588 KiB)
    // goes up in 4 transfers that overlap the copying, a batch of 64 in 1 MiB transfers
    // (large enough for the bus's full rate).
    const size_t chunk = std::min<size_t>(std::max<size_t>(floats / 4, 16384), 262144);
    float* staged = impl_->input_staging->data() + kRowHalo;
    const uint64_t device = impl_->regions[0]->backing.b.device + kRowHalo * sizeof(float);
    void* stream = impl_->stream->get();
    size_t bad = floats;
    try {
      bad = copy_checking_finite_chunked(host, staged, floats, chunk, [&](size_t off, size_t n) {
        cuda::copy_to_device_async(device + off * sizeof(float), staged + off, n * sizeof(float), stream);
      });
    } catch (...) {
      impl_->stream->sync();  // the chunks already sent read the staging buffer
      throw;
    }
    if (bad != floats) impl_->stream->sync();
    return bad;
  }
#endif
  const size_t bad = copy_checking_finite(host, nullptr, floats);
  if (bad == floats)
    impl_->copy(*impl_->regions[0], kRowHalo, const_cast<float*>(host), floats, true, "input upload");
  return bad;
}

void DeviceRun::run_kernels(const std::function<void()>& launches) {
#ifdef MICRONET_HAVE_CUDA
  if (impl_->stream) {
    cuda::ScopedStream on(impl_->stream->get());
    launches();
    return;
  }
#endif
  launches();
}

void DeviceRun::download_logits(float* host, size_t floats) {
#ifdef MICRONET_HAVE_CUDA
  if (impl_->logits_staging) {
    if (floats * sizeof(float) > impl_->logits_staging->bytes())
      throw RunError("cuda logits download: " + std::to_string(floats) + " floats do not fit the staging buffer");
    cuda::copy_to_host_async(impl_->logits_staging->data(), impl_->regions.back()->backing.b.device,
                             floats * sizeof(float), impl_->stream->get());
    impl_->stream->sync();
    std::memcpy(host, impl_->logits_staging->data(), floats * sizeof(float));
    return;
  }
#endif
  impl_->copy(*impl_->regions.back(), 0, host, floats, false, "logits download");
}

const std::string& DeviceRun::input_path() const { return impl_->input_path; }

void DeviceRun::upload_region(int id, const float* host, size_t floats) {
  impl_->copy(*impl_->regions.at(size_t(id)), 0, const_cast<float*>(host), floats, true, "upload");
}

void DeviceRun::download_region(int id, float* host, size_t floats) {
  impl_->copy(*impl_->regions.at(size_t(id)), 0, host, floats, false, "download");
}

void DeviceRun::sync() {
  check(halide_device_sync(nullptr, &impl_->regions.back()->backing.b), impl_->target + " device sync");
}

void DeviceRun::bind(halide_buffer_t& buf) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(buf.host);
  auto it = impl_->by_start.upper_bound(p);
  if (it != impl_->by_start.begin()) {
    Impl::Region& r = *std::prev(it)->second;
    if (p >= r.start && p < r.start + r.bytes) {
      buf.device = impl_->handle_at(r, (p - r.start) / 4);
      buf.device_interface = impl_->iface;
      buf.host = nullptr;
      buf.flags = 0;
      return;
    }
  }
  // A constant (weights, maps, dummies): uploaded once, at its largest extent seen.
  const size_t bytes = buf.size_in_bytes();
  auto c = impl_->constants.find(p);
  if (c == impl_->constants.end() || c->second->d.extent * 4 < int64_t(bytes)) {
    if (c != impl_->constants.end()) {
      halide_device_free(nullptr, &c->second->b);
      impl_->constants.erase(c);
    }
    auto nb = std::make_unique<Buf>();
    nb->d = halide_dimension_t(0, int((bytes + 3) / 4), 1);
    nb->b.host = buf.host;
    nb->b.set_host_dirty(true);
    check(halide_copy_to_device(nullptr, &nb->b, impl_->iface), impl_->target + " weight upload");
    c = impl_->constants.emplace(p, std::move(nb)).first;
  }
  buf.device = c->second->b.device;
  buf.device_interface = impl_->iface;
  buf.host = nullptr;
  buf.flags = 0;
}

}  // namespace micronet
