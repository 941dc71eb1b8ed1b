// Picks the schedule family from the target. ARM and GPU schedules are separate files
// (schedules/arm, schedules/gpu); until they exist those targets are refused with a
// clear message rather than given an x86 schedule that would be wrong for them.
#include <stdexcept>

#include "schedules/schedule.h"

namespace micronet::sched {

namespace {
void require_x86(const Halide::Target& t, const char* what) {
  const std::string fam = target_family(t);
  if (fam != "x86")
    throw std::invalid_argument(std::string(what) + ": no " + fam +
                                " schedule yet for target " + t.to_string());
}
}  // namespace

void schedule_gconv(GconvStages& s, const ConvShape& shape, const Halide::Target& t,
                    const Knobs& k) {
  require_x86(t, "gconv");
  x86::schedule_gconv(s, shape, t, k);
}

void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& shape, const Halide::Target& t,
                           const Knobs& k) {
  require_x86(t, "spatial conv");
  x86::schedule_spatial_conv(s, shape, t, k);
}

void schedule_head(HeadStages& s, int in_channels, int hidden, int classes,
                   const Halide::Target& t, const Knobs& k) {
  require_x86(t, "head");
  x86::schedule_head(s, in_channels, hidden, classes, t, k);
}

}  // namespace micronet::sched
