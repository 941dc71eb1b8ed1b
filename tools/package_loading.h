// `--package DIR` (run, bench, classify, eval) and networks this build has no kernels for.
// A command selects the package once (select_package); plan_for_weights then plans the
// package's network and make_backend runs its kernels. Without a package, a network whose
// kernels are not compiled into this build is compiled on demand into a cached package by
// micronet-compile (beside this executable), with its progress on stderr; where that
// executable is missing, the error gives the exact `micronet compile` command.
#pragma once

#include <memory>
#include <string>

#include "models/plan.h"
#include "runtime/package.h"

namespace micronet::cli {

// Opens DIR ("" = none) for this command; returns the weights to use: `weights_flag`, else
// the package's weights file, else "".
std::string select_package(const std::string& dir, const std::string& weights_flag);
// The package select_package opened, or null.
std::shared_ptr<const ModelPackage> selected_package();

// The config of a custom network whose weights file carries it (plan_for_weights): with it,
// kernel_source_for compiles that network on demand like a built-in one.
void use_weights_config(const ModelConfig& cfg);

// The kernels for `plan` on `target`: the selected package (its target must match), null
// when the build has every kernel, else a package compiled on demand (or a RunError giving
// the command to compile one).
std::shared_ptr<const KernelSource> kernel_source_for(const ModelPlan& plan, const std::string& target);

}  // namespace micronet::cli
