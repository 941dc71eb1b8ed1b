// Picks the schedule family from the target: x86 (AVX-512 / AVX2 / SSE4.1), arm (NEON,
// AArch64) or gpu (one schedule for cuda and opencl, whatever the host arch).
#include <stdexcept>

#include "schedules/schedule.h"

namespace micronet::sched {

namespace {
enum class Family { X86, Arm, Gpu };
Family family(const Halide::Target& t, const char* what) {
  const std::string fam = target_family(t);
  if (fam == "gpu") {
    if (!t.has_feature(Halide::Target::CUDA) && !t.has_feature(Halide::Target::OpenCL))
      throw std::invalid_argument(std::string(what) + ": only cuda and opencl GPU targets have a "
                                  "schedule, not " + t.to_string());
    return Family::Gpu;
  }
  if (fam == "arm") {
    if (t.bits != 64)
      throw std::invalid_argument(std::string(what) + ": the ARM schedules are for AArch64 (arm-64-*), not " +
                                  t.to_string());
    return Family::Arm;
  }
  if (t.arch != Halide::Target::X86)
    throw std::invalid_argument(std::string(what) + ": no schedule for target " + t.to_string());
  return Family::X86;
}
}  // namespace

void schedule_gconv(GconvStages& s, const ConvShape& shape, const Halide::Target& t,
                    const Knobs& k) {
  switch (family(t, "gconv")) {
    case Family::X86: return x86::schedule_gconv(s, shape, t, k);
    case Family::Arm: return arm::schedule_gconv(s, shape, t, k);
    case Family::Gpu: return gpu::schedule_gconv(s, shape, t, k);
  }
}

void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& shape, const Halide::Target& t,
                           const Knobs& k) {
  switch (family(t, "spatial conv")) {
    case Family::X86: return x86::schedule_spatial_conv(s, shape, t, k);
    case Family::Arm: return arm::schedule_spatial_conv(s, shape, t, k);
    case Family::Gpu: return gpu::schedule_spatial_conv(s, shape, t, k);
  }
}

void schedule_head(HeadStages& s, int in_channels, int hidden, int classes,
                   const Halide::Target& t, const Knobs& k) {
  switch (family(t, "head")) {
    case Family::X86: return x86::schedule_head(s, in_channels, hidden, classes, t, k);
    case Family::Arm: return arm::schedule_head(s, in_channels, hidden, classes, t, k);
    case Family::Gpu: return gpu::schedule_head(s, in_channels, hidden, classes, t, k);
  }
}

KnobSpace gconv_space(const ConvShape& shape, const Halide::Target& t) {
  switch (family(t, "gconv")) {
    case Family::X86: return x86::gconv_space(shape, t);
    case Family::Arm: return arm::gconv_space(shape, t);
    case Family::Gpu: return gpu::gconv_space(shape, t);
  }
  return {};
}

KnobSpace spatial_conv_space(const ConvShape& shape, const Halide::Target& t) {
  switch (family(t, "spatial conv")) {
    case Family::X86: return x86::spatial_conv_space(shape, t);
    case Family::Arm: return arm::spatial_conv_space(shape, t);
    case Family::Gpu: return gpu::spatial_conv_space(shape, t);
  }
  return {};
}

KnobSpace head_space(int in_channels, int hidden, int classes, const Halide::Target& t) {
  switch (family(t, "head")) {
    case Family::X86: return x86::head_space(in_channels, hidden, classes, t);
    case Family::Arm: return arm::head_space(in_channels, hidden, classes, t);
    case Family::Gpu: return gpu::head_space(in_channels, hidden, classes, t);
  }
  return {};
}

}  // namespace micronet::sched
