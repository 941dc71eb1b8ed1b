// Issue 30, `tune --apply`: a record is checked against the build's kernels and the knob
// space its schedule declares (schedules/knob_space.h) before it reaches tuning_db.txt.
#include <gtest/gtest.h>

#include "autotune/apply_check.h"
#include "autotune/kernel_space.h"
#include "autotune/tuning_db.h"
#include "models/kernel_plan.h"

namespace micronet::tune {
namespace {

const char* kTarget = "x86-64-linux-avx2-fma";

TuningRecord record_of(const KernelSpec& k, std::map<std::string, int> knobs) {
  TuningRecord r;
  r.kernel = k.name();
  r.family = "x";
  r.target = kTarget;
  r.target_family = "x86";
  r.machine = "m";
  r.knobs = std::move(knobs);
  r.status = Status::Ok;
  r.min_us = r.median_us = 1;
  return r;
}

TEST(ApplyCheck, KnobsMustBeDeclaredAndInTheirDomain) {
  const KernelSpec k = kernels_for({plan_model(model_config("m0"))}).front();
  const sched::KnobSpace space = kernel_space(k, Halide::Target(kTarget));
  ASSERT_FALSE(space.knobs().empty());
  const sched::KnobDomain& d = space.knobs().front();
  // Every declared value passes.
  for (int v : d.values) EXPECT_EQ(check_against_knob_spaces(record_of(k, {{d.name, v}})), "") << d.name << "=" << v;
  // The reproducer's out-of-domain value and an undeclared knob are refused, naming the knob.
  std::string why = check_against_knob_spaces(record_of(k, {{d.name, 999999}}));
  EXPECT_NE(why.find(d.name), std::string::npos) << why;
  why = check_against_knob_spaces(record_of(k, {{"no_such_knob", 1}}));
  EXPECT_NE(why.find("no_such_knob"), std::string::npos) << why;
  // A kernel the build does not compile, and a target of another family.
  TuningRecord r = record_of(k, {});
  r.kernel = "gconv_c1x1_g1_nothing";
  EXPECT_EQ(check_against_knob_spaces(r), kUnknownKernel);
  r = record_of(k, {});
  r.target = "arm-64-linux";
  EXPECT_NE(check_against_knob_spaces(r).find("family arm"), std::string::npos);
  r.target = "not a target";
  EXPECT_NE(check_against_knob_spaces(r).find("not a Halide target"), std::string::npos);
}

}  // namespace
}  // namespace micronet::tune
