#include "runtime/kernel_check.h"

#include <cmath>
#include <limits>
#include <memory>

#include "models/kernel_abi.h"
#include "runtime/device_targets.h"
#include "runtime/kernel_call.h"

namespace micronet {

namespace {

void expect_shape(const Tensor& t, const std::vector<int64_t>& want, const KernelStep& s,
                  const char* what) {
  if (t.shape != want) {
    Tensor w;
    w.shape = want;
    throw FormatError("kernel case of " + s.spec.name() + ": " + what + " has shape " +
                      t.shape_str() + ", the step needs " + w.shape_str());
  }
}

// Logical NCHW -> stored planes (plane map[c] holds logical channel c), with kRowHalo NaNs
// before and after. Returns the buffer; the tensor starts at data() + kRowHalo.
std::vector<float> to_storage(const Tensor& logical, const std::vector<int>& map) {
  const int64_t n = logical.shape[0], c = logical.shape[1], hw = logical.shape[2] * logical.shape[3];
  std::vector<float> buf(size_t(logical.numel()) + 2 * kRowHalo, std::numeric_limits<float>::quiet_NaN());
  const float* src = logical.f32_data();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      std::copy(src + (i * c + ch) * hw, src + (i * c + ch + 1) * hw,
                buf.data() + kRowHalo + (i * c + map[size_t(ch)]) * hw);
  return buf;
}

std::vector<float> from_storage(const float* stored, const std::vector<int64_t>& shape,
                                const std::vector<int>& map) {
  const int64_t n = shape[0], c = shape[1], hw = shape[2] * shape[3];
  std::vector<float> out(size_t(n * c * hw));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      std::copy(stored + (i * c + map[size_t(ch)]) * hw, stored + (i * c + map[size_t(ch)] + 1) * hw,
                out.data() + (i * c + ch) * hw);
  return out;
}

}  // namespace

double relative_l2(const float* got, const float* want, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = double(got[i]) - double(want[i]);
    num += d * d;
    den += double(want[i]) * double(want[i]);
  }
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

double run_kernel_case(const KernelStep& s, const PreparedStep& prepared, const KernelEntry& kernel,
                       const KernelCase& c, int batch, const std::string& target) {
  const KernelSpec& k = s.spec;
  const bool stem = k.family == KernelFamily::Stem, head = k.family == KernelFamily::Head;
  expect_shape(c.input, {batch, stem ? 3 : k.in_channels, s.in_h, s.in_w}, s, "input");
  const std::vector<int64_t> out_shape =
      head ? std::vector<int64_t>{batch, k.classes} : std::vector<int64_t>{batch, k.out_channels, s.out_h, s.out_w};
  expect_shape(c.expected, out_shape, s, "expected output");
  if (k.residual) expect_shape(c.block_input, {batch, int64_t(s.res_map.size()), s.out_h, s.out_w}, s, "block input");

  const std::vector<int> identity3 = {0, 1, 2};
  const std::vector<float> in = to_storage(c.input, stem ? identity3 : s.in_map);
  std::vector<float> res;
  if (k.residual) res = to_storage(c.block_input, s.res_map);
  size_t out_count = 1;
  for (int64_t d : out_shape) out_count *= size_t(d);
  std::vector<float> out(out_count + 2 * kRowHalo, std::numeric_limits<float>::quiet_NaN());

  if (target == "host") {
    call_kernel(kernel, s, prepared, batch, in.data() + kRowHalo,
                k.residual ? res.data() + kRowHalo : nullptr, out.data() + kRowHalo);
  } else {
    // Device tensors 0 (input), 1 (residual), 2 (output), each with the arena's slack.
    const size_t f = sizeof(float);
    DeviceRun dev(target, {in.size() * f, std::max<size_t>(res.size(), 1) * f, out.size() * f}, 1);
    dev.upload_region(0, in.data(), in.size());
    if (k.residual) dev.upload_region(1, res.data(), res.size());
    call_kernel(kernel, s, prepared, batch, dev.tensor(0), k.residual ? dev.tensor(1) : nullptr,
                dev.tensor(2), &dev);
    dev.download_region(2, out.data(), out.size());
  }
  const float* got = out.data() + kRowHalo;
  const std::vector<float> logical = head ? std::vector<float>(got, got + out_count)
                                          : from_storage(got, out_shape, s.out_map);
  return relative_l2(logical.data(), c.expected.f32_data(), out_count);
}

}  // namespace micronet
