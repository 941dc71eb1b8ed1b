// The target vocabulary, written once: what a target name means to every tool (the CLI,
// Python, the compiler, the tuner, the search, the schedules, the package loader).
//
// A target is named by the user either as one of target_names() or as a Halide target
// string ("arm-64-linux", "x86-64-linux-avx2-fma", ...). From the Halide target string
// follow the schedule family (which schedules/<family>/ code schedules its kernels), the
// device API that runs the kernels, and whether this machine's CPU can run its host code.
// Plain C++: the runtime and the tools share it, and neither needs libHalide for it.
#pragma once

#include <string>
#include <vector>

namespace micronet {

// The names accepted besides Halide target strings: "host" (this machine's CPU), "opencl",
// "cuda" (x86-64 host code + that GPU API, as the AOT build compiles its GPU kernels).
const std::vector<std::string>& target_names();

// Examples of Halide target strings the tools accept, for error messages.
const std::vector<std::string>& halide_target_examples();

// What a --target flag accepts, for usage errors: "host, opencl, cuda, or a Halide target
// string such as x86-64-linux-avx2-fma, x86-64-linux-sse41, arm-64-linux, arm-64-android".
std::string accepted_targets();

// For a word that is not a target: the accepted name or example it is a typo of
// ("arm64-linux" -> "arm-64-linux"), or the Halide target string of a name people use for one
// ("aarch64" -> "arm-64-linux", "android" -> "arm-64-android", "x86_64" -> "host"); "" when
// nothing fits.
std::string suggest_target(const std::string& word);

// A target name -> the Halide target string its kernels are compiled for: "opencl" ->
// "x86-64-linux-opencl", "cuda" -> "x86-64-linux-cuda"; "host" stays "host" (Halide resolves
// it to this CPU's features when it compiles); any other text is taken as a Halide target
// string (Halide validates it).
std::string halide_target_of(const std::string& name);

// "x86" | "arm" | "gpu": the schedule family of a Halide target string (a GPU feature wins
// over the host architecture; "host" is this machine's architecture).
std::string schedule_family(const std::string& halide_target);

// "host" | "opencl" | "cuda": the API that runs the kernels of a Halide target string.
std::string device_api_of(const std::string& halide_target);

// "" when this machine can run host code compiled for `halide_target` (architecture, OS and
// x86 features), else why not, naming the feature.
std::string target_mismatch(const std::string& halide_target);

// Whether this machine's CPU has `flag` (GCC's __builtin_cpu_supports names: "avx2",
// "avx512vnni", "avxvnni", ...); true for names it does not check and off x86.
bool cpu_has(const std::string& flag);

// For people: "x86-64 CPU (avx2 fma)", "CUDA GPU (x86-64 host)", "AArch64 CPU (arm_dot_prod)".
std::string describe_target(const std::string& halide_target);

}  // namespace micronet
