// micronet-measure: times one compiled candidate (a shared library without a Halide runtime,
// made by micronet-tune) on its kernel's real shapes, in a process that links only the
// runtime: for boards (`micronet tune --runner 'ssh board {}'`, here qemu-aarch64-static) and
// for GPU APIs whose drivers must not share a process with the Halide compiler's LLVM (PoCL
// loads its own LLVM). Prints one JSON line with the timing; writes the output floats to --output
// and those of the odd-size check (autotune/workloads.h) to --output + ".odd".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "autotune/candidate_library.h"
#include "autotune/measure.h"
#include "autotune/workloads.h"
#include "support/cli_usage.h"

int main(int argc, char** argv) {
  using namespace micronet::tune;
  std::string kernel, model, library, function, output;
  MeasureOptions o;
  CLI::App app{"micronet-measure: time one autotuner candidate (run by micronet tune)", "micronet-measure"};
  app.add_option("--kernel", kernel, "Kernel name")->required();
  app.add_option("--model", model, "Model the kernel's shapes come from: m0..m3 or m0@64x64n10")->required();
  app.add_option("--library", library, "Candidate shared library")->required();
  app.add_option("--function", function, "Its entry point name")->required();
  app.add_option("--output", output, "Where to write the output floats (raw little-endian)")->required();
  app.add_option("--device", o.device, "GPU API the candidate was compiled for (opencl, cuda)");
  app.add_option("--batch", o.batch, "Images per call")->check(CLI::Range(1, 4096));
  app.add_option("--threads", o.threads, "Halide threads")->check(CLI::Range(1, 1024));
  app.add_option("--repeats", o.repeats, "Timed repeats")->check(CLI::Range(1, 1000));
  app.add_option("--repeat-seconds", o.repeat_seconds, "Seconds per repeat");
  app.add_option("--seed", o.seed, "Seed of the inputs and weights");
  // Usage errors as every micronet command prints them (support/cli_usage.h): exit 2, the name.
  if (const int rc = micronet::parse_or_usage_error(app, argc, argv, "micronet-measure",
                                                    "run `micronet-measure --help` for its flags");
      rc >= 0)
    return rc;
  try {
    const ModelChoice m = parse_model_label(model);
    Workload w;
    bool found = false;
    for (Workload& x : workloads_for({m}, o.seed))
      if (x.step.spec.name() == kernel) {
        w = std::move(x);
        found = true;
        break;
      }
    if (!found) throw std::invalid_argument("kernel " + kernel + " is not a kernel of " + model);
    CandidateLibrary lib(library, function);
    const Timing t = measure_kernel(lib.entry(), w, o);
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(t.output.data()), std::streamsize(t.output.size() * sizeof(float)));
    if (!out) throw std::runtime_error("cannot write " + output);
    std::ofstream odd(output + ".odd", std::ios::binary | std::ios::trunc);
    odd.write(reinterpret_cast<const char*>(t.odd_output.data()), std::streamsize(t.odd_output.size() * sizeof(float)));
    if (!odd) throw std::runtime_error("cannot write " + output + ".odd");
    std::printf("{\"median_us\":%.6g,\"min_us\":%.6g,\"repeats\":%d,\"floats\":%zu}\n", t.median_us, t.min_us,
                t.repeats, t.output.size());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "micronet-measure: error: " << e.what() << "\n";
    return 1;
  }
}
