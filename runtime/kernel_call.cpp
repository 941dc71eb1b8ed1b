#include "runtime/kernel_call.h"

#include <cstdint>
#include <string>
#include <vector>

#include "HalideRuntime.h"
#include "models/kernel_abi.h"
#include "runtime/device_targets.h"
#include "runtime/halide_model.h"

namespace micronet {

namespace {

// Halide reports errors through a process-wide handler; keep the text per thread so the
// failing call can throw it.
thread_local std::string t_halide_error;
void capture_halide_error(void*, const char* msg) { t_halide_error += msg; }
struct InstallErrorHandler {
  InstallErrorHandler() { halide_set_error_handler(capture_halide_error); }
};
const InstallErrorHandler g_install_handler;

// A dense halide_buffer_t over existing memory; extents innermost first.
struct HBuf {
  halide_buffer_t buf{};
  halide_dimension_t dims[4]{};
  HBuf(const void* host, halide_type_t type, std::initializer_list<int> extents) {
    buf.host = static_cast<uint8_t*>(const_cast<void*>(host));
    buf.type = type;
    buf.dimensions = int(extents.size());
    int64_t stride = 1;
    int d = 0;
    for (int e : extents) {
      // HalideModel::check_batch_fits keeps real tensors in range; this guards the rest.
      if (stride > INT32_MAX) throw RunError("a buffer of this call exceeds 2^31 elements");
      dims[d++] = halide_dimension_t(0, e, int32_t(stride));
      stride *= e;
    }
  }
};
const halide_type_t kF32(halide_type_float, 32), kI32(halide_type_int, 32);

// A dense (W, H, C, N) tensor described with kRowHalo phantom columns on each side of
// every row (see models/kernel_abi.h): x runs from -kRowHalo over the real row stride.
HBuf with_row_halo(const float* t, int w, int h, int c, int n) {
  HBuf b(t - kRowHalo, kF32, {w + 2 * kRowHalo, h, c, n});
  b.dims[0].min = -kRowHalo;
  b.dims[1].stride = w;
  b.dims[2].stride = w * h;
  b.dims[3].stride = w * h * c;
  return b;
}
HBuf f32(const std::vector<float>& v, std::initializer_list<int> e) { return HBuf(v.data(), kF32, e); }
HBuf i32(const std::vector<int32_t>& v, std::initializer_list<int> e) { return HBuf(v.data(), kI32, e); }

// Unused epilogue inputs still take a slot in every kernel's signature.
const float kFloatDummy[1] = {0.f};
const int32_t kIntDummy[1] = {0};

// The shared epilogue inputs, in generator_params.h order.
void push_epilogue(std::vector<HBuf>& b, const KernelStep& s, const PreparedStep& p, int batch,
                   const float* residual, int spatial_dims) {
  const KernelSpec& k = s.spec;
  const bool sm = k.act == kActShiftMax;
  const int C = k.out_channels, S = p.squeeze, JK = C * k.J * k.K, N = batch;
  b.push_back(sm ? f32(p.fc1_w, {C, S}) : HBuf(kFloatDummy, kF32, {1, 1}));
  b.push_back(sm ? f32(p.fc1_b, {S}) : HBuf(kFloatDummy, kF32, {1}));
  b.push_back(sm ? f32(p.fc2_w, {JK, S}) : HBuf(kFloatDummy, kF32, {1, 1}));
  b.push_back(sm ? f32(p.fc2_b, {JK}) : HBuf(kFloatDummy, kF32, {1}));
  b.push_back(sm ? f32(p.coef_offset, {JK}) : HBuf(kFloatDummy, kF32, {1}));
  b.push_back(sm ? i32(p.shift_perm, {C, k.J}) : HBuf(kIntDummy, kI32, {1, 1}));
  b.push_back(k.select_output ? i32(p.out_select, {C}) : HBuf(kIntDummy, kI32, {1}));
  if (k.residual) {
    if (!residual) throw RunError("kernel " + k.name() + " needs a residual input");
    b.push_back(spatial_dims == 1 ? HBuf(residual, kF32, {s.out_h * s.out_w, C, N})
                                  : HBuf(residual, kF32, {s.out_w, s.out_h, C, N}));
    b.push_back(i32(p.res_map, {C}));
  } else {
    b.push_back(spatial_dims == 1 ? HBuf(kFloatDummy, kF32, {1, 1, 1})
                                  : HBuf(kFloatDummy, kF32, {1, 1, 1, 1}));
    b.push_back(HBuf(kIntDummy, kI32, {1}));
  }
}

}  // namespace

void call_kernel(const KernelEntry& kernel, const KernelStep& s, const PreparedStep& p, int batch,
                 const float* in, const float* residual, float* out, DeviceRun* device) {
  const KernelSpec& k = s.spec;
  const int N = batch, ci = k.in_channels, co = k.out_channels;
  const int in_hw = s.in_h * s.in_w, out_hw = s.out_h * s.out_w;
  std::vector<HBuf> b;
  b.reserve(16);
  switch (k.family) {
    case KernelFamily::Stem:
      b.push_back(with_row_halo(in, s.in_w, s.in_h, 3, N));
      b.push_back(f32(p.w1, {k.kernel, 3, k.groups}));
      b.push_back(f32(p.b1, {k.groups}));
      b.push_back(f32(p.w2, {k.kernel, co}));
      b.push_back(f32(p.b2, {co}));
      b.push_back(HBuf(out, kF32, {s.out_w, s.out_h, co, N}));
      break;
    case KernelFamily::DepthwiseSep:
      b.push_back(with_row_halo(in, s.in_w, s.in_h, ci, N));
      b.push_back(i32(p.in_map, {ci}));
      b.push_back(f32(p.w1, {k.kernel, ci * k.exp1}));
      b.push_back(f32(p.b1, {ci * k.exp1}));
      b.push_back(f32(p.w2, {k.kernel, co}));
      b.push_back(f32(p.b2, {co}));
      push_epilogue(b, s, p, batch, residual, 2);
      b.push_back(HBuf(out, kF32, {s.out_w, s.out_h, co, N}));
      break;
    case KernelFamily::GroupConv:
      b.push_back(HBuf(in, kF32, {in_hw, ci, N}));
      b.push_back(i32(p.in_map, {ci}));
      b.push_back(f32(p.w1, {ci / k.groups, co}));
      b.push_back(f32(p.b1, {co}));
      push_epilogue(b, s, p, batch, residual, 1);
      b.push_back(HBuf(out, kF32, {out_hw, co / k.groups, k.groups, N}));
      break;
    case KernelFamily::Head:
      b.push_back(HBuf(in, kF32, {in_hw, ci, N}));
      b.push_back(i32(p.in_map, {ci}));
      b.push_back(f32(p.w1, {k.hidden, ci}));
      b.push_back(f32(p.b1, {k.hidden}));
      b.push_back(f32(p.w2, {k.classes, k.hidden}));
      b.push_back(f32(p.b2, {k.classes}));
      b.push_back(HBuf(out, kF32, {k.classes, N}));
      break;
  }
  std::vector<void*> args;
  for (HBuf& h : b) {
    h.buf.dim = h.dims;  // after the vector settled: the descriptors point into themselves
    args.push_back(&h.buf);
    if (device) device->bind(h.buf);
  }
  t_halide_error.clear();
  const int rc = kernel.argv(args.data());
  if (rc != 0)
    throw RunError("kernel " + k.name() + " failed (Halide error " + std::to_string(rc) +
                   "): " + t_halide_error);
}

}  // namespace micronet
