#include "support/targets.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <cctype>
#include <map>
#include <sstream>

#include "support/suggest.h"

namespace micronet {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

bool has_token(const std::string& halide_target, const std::string& token) {
  for (const std::string& f : split(halide_target, '-'))
    if (f == token) return true;
  return false;
}

#if defined(__x86_64__)
constexpr const char* kHostArch = "x86-64";
constexpr const char* kHostFamily = "x86";
// The CPU flags each Halide x86 feature needs (GCC's __builtin_cpu_supports names).
bool x86_cpu_has(const std::string& f) {
  __builtin_cpu_init();
  if (f == "sse4.1") return __builtin_cpu_supports("sse4.1");
  if (f == "avx") return __builtin_cpu_supports("avx");
  if (f == "avx2") return __builtin_cpu_supports("avx2");
  if (f == "fma") return __builtin_cpu_supports("fma");
  if (f == "avx512f") return __builtin_cpu_supports("avx512f");
  if (f == "avx512cd") return __builtin_cpu_supports("avx512cd");
  if (f == "avx512bw") return __builtin_cpu_supports("avx512bw");
  if (f == "avx512dq") return __builtin_cpu_supports("avx512dq");
  if (f == "avx512vl") return __builtin_cpu_supports("avx512vl");
  if (f == "avx512ifma") return __builtin_cpu_supports("avx512ifma");
  if (f == "avx512vbmi") return __builtin_cpu_supports("avx512vbmi");
  if (f == "avx512vnni") return __builtin_cpu_supports("avx512vnni");
  if (f == "avx512bf16") return __builtin_cpu_supports("avx512bf16");
  if (f == "avxvnni") {
    // CPUID.(EAX=7, ECX=1):EAX bit 4; clang 15's __builtin_cpu_supports does not know it.
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a >> 4 & 1u);
  }
  return true;
}
const std::map<std::string, std::vector<std::string>>& x86_feature_flags() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"sse41", {"sse4.1"}},
      {"avx", {"avx"}},
      {"avx2", {"avx2"}},
      {"fma", {"fma"}},
      {"avx512", {"avx512f", "avx512cd"}},
      {"avx512_skylake", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}},
      {"avx512_cannonlake", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512ifma", "avx512vbmi"}},
      // LLVM's sapphirerapids also emits AVX-VNNI (VEX-encoded vpdpwssd), which some CPUs with
      // AVX512-VNNI and BF16 lack (an AMD Zen 5).
      {"avx512_sapphirerapids",
       {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512ifma", "avx512vbmi", "avx512vnni",
        "avx512bf16", "avxvnni"}},
  };
  return m;
}
#elif defined(__aarch64__)
constexpr const char* kHostArch = "arm-64";
constexpr const char* kHostFamily = "arm";
#else
constexpr const char* kHostArch = "unknown";
constexpr const char* kHostFamily = "x86";
#endif

// Halide 14's GPU features (Target::has_gpu_feature).
const char* const kGpuFeatures[] = {"cuda", "opencl", "metal", "d3d12compute", "openglcompute", "vulkan"};

}  // namespace

const std::vector<std::string>& target_names() {
  static const std::vector<std::string> names = {"host", "opencl", "cuda"};
  return names;
}

const std::vector<std::string>& halide_target_examples() {
  static const std::vector<std::string> examples = {"x86-64-linux-avx2-fma", "x86-64-linux-sse41", "arm-64-linux",
                                                    "arm-64-android"};
  return examples;
}

std::string accepted_targets() {
  std::string s;
  for (const std::string& n : target_names()) s += n + ", ";
  s += "or a Halide target string such as ";
  for (size_t i = 0; i < halide_target_examples().size(); ++i) s += (i ? ", " : "") + halide_target_examples()[i];
  return s;
}

std::string suggest_target(const std::string& word) {
  // Names of architectures and systems that are not Halide's spelling of them.
  static const std::map<std::string, std::string> aliases = {
      {"aarch64", "arm-64-linux"},     {"arm64", "arm-64-linux"},   {"armv8", "arm-64-linux"},
      {"aarch64-linux", "arm-64-linux"}, {"arm64-linux", "arm-64-linux"}, {"android", "arm-64-android"},
      {"arm64-android", "arm-64-android"}, {"aarch64-android", "arm-64-android"},
      {"x86_64", "host"},              {"x86-64", "host"},          {"amd64", "host"},
      {"cpu", "host"},                 {"gpu", "opencl"},           {"cl", "opencl"},
      {"nvidia", "cuda"}};
  std::string low;
  for (char c : word) low += char(std::tolower(static_cast<unsigned char>(c)));
  if (auto it = aliases.find(low); it != aliases.end()) return it->second;
  std::vector<std::string> known = target_names();
  known.insert(known.end(), halide_target_examples().begin(), halide_target_examples().end());
  return closest_match(word, known);
}

std::string halide_target_of(const std::string& name) {
  if (name == "opencl" || name == "cuda") return "x86-64-linux-" + name;
  return name;
}

std::string schedule_family(const std::string& halide_target) {
  for (const char* g : kGpuFeatures)
    if (has_token(halide_target, g)) return "gpu";
  if (halide_target.rfind("arm-", 0) == 0) return "arm";
  if (halide_target == "host" || halide_target.rfind("host-", 0) == 0) return kHostFamily;
  return "x86";
}

std::string device_api_of(const std::string& halide_target) {
  if (has_token(halide_target, "opencl")) return "opencl";
  if (has_token(halide_target, "cuda")) return "cuda";
  return "host";
}

std::string target_mismatch(const std::string& halide_target) {
  const std::vector<std::string> parts = split(halide_target, '-');
  if (parts.size() < 3) return "'" + halide_target + "' is not a Halide target string";
  const std::string arch = parts[0] + "-" + parts[1];
  if (arch != kHostArch)
    return "the package is compiled for " + arch + " (" + halide_target + "), this machine is " + kHostArch;
  if (parts[2] != "linux") return "the package is compiled for " + parts[2] + " (" + halide_target + "), this runtime runs on linux";
#if defined(__x86_64__)
  for (size_t i = 3; i < parts.size(); ++i) {
    auto it = x86_feature_flags().find(parts[i]);
    if (it == x86_feature_flags().end()) continue;
    for (const std::string& flag : it->second)
      if (!cpu_has(flag))
        return "the package is compiled for CPU feature " + parts[i] + " (" + halide_target + "), and this CPU lacks " +
               flag + "; compile one for this machine with --target host";
  }
#endif
  return "";
}

bool cpu_has(const std::string& flag) {
#if defined(__x86_64__)
  return x86_cpu_has(flag);
#else
  (void)flag;
  return true;
#endif
}

std::string describe_target(const std::string& halide_target) {
  const std::vector<std::string> parts = split(halide_target, '-');
  const std::string api = device_api_of(halide_target);
  std::string arch = parts.empty() ? halide_target : parts[0];
  if (halide_target == "host") arch = kHostArch;
  const std::string cpu = arch.rfind("arm", 0) == 0 ? "AArch64" : "x86-64";
  std::string features;
  for (size_t i = 3; i < parts.size(); ++i)
    if (parts[i] != api && parts[i] != "no_runtime") features += (features.empty() ? "" : " ") + parts[i];
  if (api == "cuda") return "CUDA GPU (" + cpu + " host)";
  if (api == "opencl") return "OpenCL GPU (" + cpu + " host)";
  return cpu + " CPU" + (features.empty() ? "" : " (" + features + ")");
}

}  // namespace micronet
