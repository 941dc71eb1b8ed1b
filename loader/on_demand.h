// The kernels a loaded model runs (loader/model_loader.h), for the CLI and Python alike: the
// package's, the build's own, or, for a network whose kernels the build lacks (another
// number of classes, a custom config from the weights' metadata), a package compiled on
// demand by micronet-compile into the cache (support/paths.h cache_dir()), keyed by the
// network and by the compiler (the generator executables and the default tuning file), so
// a rebuilt compiler never reuses old kernels. Its progress goes to stderr.
#pragma once

#include <memory>
#include <string>

#include "loader/model_loader.h"
#include "runtime/kernel_source.h"

namespace micronet {

struct OnDemandCompiler {
  std::string compile_exe;  // micronet-compile; the generators are beside it
  std::string tuning_file;  // the tuning records it reads by default (its identity keys the cache)
};

// The tuning records `micronet compile` reads by default: the build's schedules/tuning_db.txt.
std::string default_tuning_file();

// The micronet-compile beside the running executable, with the default tuning file.
OnDemandCompiler default_on_demand_compiler();

// The kernels for `plan` on `target`: the package's (its device API must be `target`, or
// `target` "host"), null when the build has every kernel, else a package compiled on demand
// (RunError with the exact `micronet compile` command when that is impossible).
std::shared_ptr<const KernelSource> kernel_source_for(const ModelFiles& files, const ModelPlan& plan,
                                                      const std::string& target, const OnDemandCompiler& compiler,
                                                      const ArgNames& names);

}  // namespace micronet
