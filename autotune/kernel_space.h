// The tuning space of one kernel for one Halide target: the space its schedule declares
// (schedules/<family>/*.cpp), built from the kernel's shape exactly as its generator
// builds the schedule's ConvShape.
#pragma once

#include "Halide.h"
#include "models/kernel_plan.h"
#include "schedules/knob_space.h"

namespace micronet::tune {

// Throws std::invalid_argument when the target has no schedule family (schedules/dispatch.cpp).
sched::KnobSpace kernel_space(const KernelSpec& spec, const Halide::Target& target);

// "gconv" | "dwsep" | "stem" | "head": the generator family (generators/<family>_generator.cpp).
const char* family_name(const KernelSpec& spec);

}  // namespace micronet::tune
