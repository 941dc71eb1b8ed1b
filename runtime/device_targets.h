// Compiled kernel targets and running a model on a GPU (cuda / opencl) with activations kept
// on the device between kernels.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/kernel_plan.h"
#include "runtime/kernel_registry.h"
#include "runtime/prepared_weights.h"

struct halide_buffer_t;
struct halide_device_interface_t;

namespace micronet {

// "host" first, then every GPU API this build compiled kernels for ("opencl", "cuda").
std::vector<std::string> compiled_targets();
// The kernel `name` compiled for `target`; nullptr when absent. Throws RunError for a
// target this build does not have.
const KernelEntry* find_kernel(const std::string& name, const std::string& target);
const std::vector<KernelEntry>& kernels_for_target(const std::string& target);

// Worker threads when the caller names none: 1 on the host (more is the caller's choice:
// runtime/threading.h); on a GPU target, where they only stage the input
// (DeviceRun::upload_input_checked), the CPUs this process may use, at most 8: on an H100's
// 16-core host a batch of 64 224x224 images went up as fast with 8 as with 16 (docs/targets.md;
// results/gpu/h100-2026-11-27/README.md, "Staging threads").
int default_worker_threads(const std::string& target);

// Whether `target` can run here: "" when a tiny device allocation succeeds, else the
// reason (no driver, no device, ...). "host" always can.
std::string probe_target(const std::string& target);

// Device state of one model for one batch size: one device buffer per activation tensor
// (with the same kRowHalo slack as the host arena, models/kernel_abi.h), weights uploaded
// once on first use, host pointers of a step's buffers rebound to device ones.
class DeviceRun {
 public:
  // tensor_bytes[i]: bytes of tensor i including 2*kRowHalo floats of slack (0 = input).
  DeviceRun(const std::string& target, const std::vector<size_t>& tensor_bytes, size_t logits_floats);
  ~DeviceRun();
  DeviceRun(const DeviceRun&) = delete;
  DeviceRun& operator=(const DeviceRun&) = delete;

  // Where tensor i "lives" for call_kernel (a shadow address; never dereferenced).
  float* tensor(int id) const;
  float* logits() const;
  // Checks the input for non-finite values while it goes up; returns the index of the
  // first one (nothing of the run is then launched), `floats` when all are finite. On cuda
  // the input is copied and checked in chunks by the worker pool into a page-locked buffer,
  // each chunk's transfer starting as soon as it is copied (MICRONET_CUDA_STAGING=0: the
  // plain way, a check pass then Halide's copy from pageable memory).
  size_t upload_input_checked(const float* host, size_t floats);
  // Calls `launches` (the model's kernel calls) with this run's stream current for Halide.
  void run_kernels(const std::function<void()>& launches);
  // Waits for the run and copies the logits back.
  void download_logits(float* host, size_t floats);
  // How the input goes up: "pinned" or "pageable" with the reason (`micronet bench`).
  const std::string& input_path() const;
  // Whole-region copies of tensor `id`, slack included (host[kRowHalo] is tensor(id)[0]):
  // for checks that fill the slack with NaNs (runtime/kernel_check.h).
  void upload_region(int id, const float* host, size_t floats);
  void download_region(int id, float* host, size_t floats);
  // Waits until every kernel launched so far has finished (per-kernel profiling: launches
  // are asynchronous, so without it a step's time would be its launch only).
  void sync();
  // Rebinds one kernel argument from host memory to device memory.
  void bind(halide_buffer_t& buf);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace micronet
