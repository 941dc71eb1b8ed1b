#include "autotune/kernel_space.h"

#include "schedules/schedule.h"

namespace micronet::tune {

const char* family_name(const KernelSpec& spec) {
  switch (spec.family) {
    case KernelFamily::Stem: return "stem";
    case KernelFamily::DepthwiseSep: return "dwsep";
    case KernelFamily::GroupConv: return "gconv";
    case KernelFamily::Head: return "head";
  }
  return "?";
}

sched::KnobSpace kernel_space(const KernelSpec& spec, const Halide::Target& target) {
  if (spec.family == KernelFamily::Head)
    return sched::head_space(spec.in_channels, spec.hidden, spec.classes, target);
  // Mirrors generators/{stem,dwsep,gconv}_generator.cpp.
  sched::ConvShape sh;
  sh.est_h = spec.est_h;
  sh.est_w = spec.est_w;
  sh.kernel = spec.kernel;
  sh.stride = spec.stride;
  switch (spec.family) {
    case KernelFamily::Stem:
      sh.in_channels = 3;
      sh.out_channels = spec.groups * spec.groups2;
      sh.groups = spec.groups;
      sh.exp2 = spec.groups2;
      sh.act = 1;  // ReLU6
      return sched::spatial_conv_space(sh, target);
    case KernelFamily::DepthwiseSep:
      sh.in_channels = spec.in_channels;
      sh.out_channels = spec.in_channels * spec.exp1 * spec.exp2;
      sh.groups = spec.in_channels;
      sh.exp1 = spec.exp1;
      sh.exp2 = spec.exp2;
      break;
    case KernelFamily::GroupConv:
      sh.in_channels = spec.in_channels;
      sh.out_channels = spec.out_channels;
      sh.groups = spec.groups;
      break;
    case KernelFamily::Head: break;
  }
  sh.act = spec.act;
  sh.select_output = spec.select_output;
  sh.residual = spec.residual;
  return spec.family == KernelFamily::GroupConv ? sched::gconv_space(sh, target)
                                                : sched::spatial_conv_space(sh, target);
}

}  // namespace micronet::tune
