#include "compiler/package_compiler.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "Halide.h"
#include "autotune/candidate_compiler.h"
#include "formats/tuning_record.h"
#include "support/paths.h"
#include "support/subprocess.h"
#include "autotune/tuning_db.h"
#include "models/config_json.h"
#include "models/kernel_plan.h"
#include "models/model_metadata.h"
#include "models/state_dict_layout.h"
#include "formats/file_io.h"
#include "formats/json_lite.h"
#include "runtime/package.h"
#include "support/targets.h"
#include "formats/safetensors.h"
#include "formats/sha256.h"
#include "compiler/package_publish.h"
#include "schedules/knobs.h"

namespace fs = std::filesystem;

namespace micronet::compiler {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

TuningFile read_tuning_file(const std::string& path) {
  TuningFile t;
  t.path = path;
  // Checked here, not left to the readers: an ifstream opens a directory without complaint, and
  // a missing file is an empty database to read_db (right for --db, wrong for a file named here).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::invalid_argument(path + ": cannot be read: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw std::invalid_argument(path + ": is a directory, not a tuning file");
  if (!S_ISREG(st.st_mode)) throw std::invalid_argument(path + ": not a regular file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::invalid_argument(path + ": cannot be read: " + std::strerror(errno));
  // The format by content: the first line that is neither blank nor a '#' comment. A file
  // named .jsonl holding text records (or the reverse) reads as what it holds.
  std::string line, first_record;
  while (first_record.empty() && std::getline(f, line)) {
    if (line.find('\0') != std::string::npos)
      throw std::invalid_argument(path + ": a binary file, not tuning records (JSON lines of `micronet tune --db`, or "
                                         "lines `<family> <kernel> knob=value ...` as schedules/tuning_db.txt)");
    const size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string::npos && line[b] != '#') first_record = line.substr(b);
  }
  t.format = !first_record.empty() && first_record[0] == '{' ? "jsonl" : "text";
  if (t.format == "jsonl") {
    std::vector<tune::TuningRecord> db;
    try {
      db = tune::read_db(path);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());
    }
    t.records = int(db.size());
    for (const tune::TuningRecord& r : tune::best_records(db, "")) {
      ScheduleChoice c;
      c.candidate.autoscheduler = r.autoscheduler;
      for (const auto& [k, v] : r.knobs) c.candidate.knobs.set(k, v);
      c.record = r.target_family + " " + r.kernel + " " + tune::knob_text(r);
      t.choices[r.target_family][r.kernel] = c;
    }
    return t;
  }
  // The text format (formats/tuning_record.h): the last line of a kernel wins.
  for (const TuningLine& r : read_tuning_lines(path)) {
    ScheduleChoice c;
    c.candidate.autoscheduler = r.autoscheduler;
    for (const auto& [k, v] : r.knobs) c.candidate.knobs.set(k, v);
    c.record = r.text;
    t.choices[r.family][r.kernel] = c;
    ++t.records;
  }
  return t;
}

TuningFile read_tuning_file_for(const std::string& path, const std::string& family, const std::string& flag) {
  TuningFile t = read_tuning_file(path);
  if (t.records == 0)
    throw std::invalid_argument(flag + " " + path + ": holds no tuning records (a `micronet tune --db` database, or "
                                "lines `<family> <kernel> knob=value ...` as schedules/tuning_db.txt)");
  if (t.choices[family].empty()) {
    std::string others;
    for (const auto& [fam, kernels] : t.choices)
      if (!kernels.empty()) others += (others.empty() ? "" : ", ") + fam + " (" + std::to_string(kernels.size()) + " kernels)";
    throw std::invalid_argument(flag + " " + path + ": holds no " + (t.format == "jsonl" ? "successful " : "") +
                                "record for the " + family + " schedule family of this target" +
                                (others.empty() ? std::string(" (no successful measurement at all)")
                                                : "; it has records for " + others + ": tuned for another target?"));
  }
  return t;
}

std::map<std::string, ScheduleChoice> read_schedule_choices(const std::string& path, const std::string& family) {
  if (path.empty()) return {};
  TuningFile t = read_tuning_file(path);
  return t.choices[family];
}

std::map<std::string, ScheduleChoice> read_schedule_choices(const std::vector<std::string>& paths,
                                                            const std::string& family) {
  std::map<std::string, ScheduleChoice> out;
  for (const std::string& p : paths)
    for (auto& [kernel, choice] : read_schedule_choices(p, family)) out[kernel] = choice;  // later layers win
  return out;
}

namespace {

std::string quote(const std::string& s) { return json_quote(s); }

std::string res_out_name(const std::string& out) { return fs::absolute(out).lexically_normal().string(); }

void run_checked(const std::vector<std::string>& argv, const std::string& log, const std::string& what) {
  const ProcessResult r = run_process(argv, 300, log);
  if (!r.start_error.empty()) throw std::runtime_error(what + ": " + r.start_error);
  if (r.exit_code != 0) throw std::runtime_error(what + " failed:\n" + r.output);
}

}  // namespace

PackageResult compile_package(const PackageOptions& o, std::ostream& progress) {
  const auto start = Clock::now();
  PackageResult res;
  std::string halide_target;
  try {
    halide_target = tune::candidate_target(o.target);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--target " + o.target + " is not a Halide target (" + e.what() +
                                "); e.g. host, x86-64-linux-avx2-fma, arm-64-linux, opencl, cuda");
  }
  res.halide_target = halide_target;
  const Halide::Target ht(halide_target);
  const std::string family = sched::target_family(ht);

  // Weights first: a file of another network fails before minutes of compiling.
  int classes = o.classes;
  TensorMap weights;
  std::vector<uint8_t> weight_bytes;  // read once: validated, hashed and copied as the same bytes
  if (!o.weights.empty()) {
    std::map<std::string, std::string> meta_map;
    weight_bytes = read_file_bytes(o.weights);
    weights = read_safetensors_bytes(weight_bytes, o.weights, &meta_map);
    const ModelMetadata meta = ModelMetadata::from_map(meta_map, o.weights);
    if (!meta.arch.empty() && meta.arch != o.config.arch)
      throw std::invalid_argument(o.weights + ": its metadata says arch " + meta.arch + ", the config is " + o.config.arch);
    if (classes <= 0 && meta.num_classes > 0) classes = meta.num_classes;
  }
  if (classes <= 0) classes = o.config.num_classes;
  const int h = o.height > 0 ? o.height : o.config.input_h, w = o.width > 0 ? o.width : o.config.input_w;
  ModelConfig cfg = o.config;
  cfg.num_classes = classes;
  cfg.input_h = h;
  cfg.input_w = w;
  const ModelPlan plan = plan_model(cfg, h, w, classes);
  if (!o.weights.empty()) validate_state_dict(weights, state_dict_layout(plan), o.weights);

  const std::vector<KernelSpec> specs = kernels_for({plan});
  // The given records over the base's (the build's), each kernel taking the top layer's.
  const std::map<std::string, ScheduleChoice> choices = read_schedule_choices({o.base_tuning, o.tuning}, family);
  const std::string gen_dir = o.generator_dir.empty() ? executable_dir() : o.generator_dir;
  const std::string cache = (o.cache_dir.empty() ? cache_dir() : o.cache_dir) + "/kernels";
  fs::create_directories(cache);
  // Temporary folders of compiles killed mid-way (their process is gone).
  remove_dead_temps(cache);
  remove_dead_temps(cache + "/..");
  // The package is built beside --out and published in one rename (compiler/package_publish.h);
  // a --out that must not be replaced fails here, before minutes of compiling.
  PackageStaging staging(o.out);

  // Compile (or find) each kernel's object.
  struct Job {
    KernelSpec spec;
    ScheduleChoice choice;
    std::string object;
    bool cached = false;
    double seconds = 0;
    std::string error;
  };
  std::vector<Job> jobs;
  for (const KernelSpec& s : specs) {
    Job j;
    j.spec = s;
    if (auto it = choices.find(s.name()); it != choices.end()) j.choice = it->second;
    jobs.push_back(j);
  }
  std::atomic<size_t> next{0};
  std::mutex out_mu;
  int done = 0;
  const int n_threads = std::max(1, std::min<int>(int(jobs.size()), o.jobs > 0 ? o.jobs : int(std::thread::hardware_concurrency())));
  auto work = [&]() {
    for (size_t i; (i = next++) < jobs.size();) {
      Job& j = jobs[i];
      const auto t0 = Clock::now();
      const std::string generator = gen_dir + "/" + j.spec.generator() + ".generator";
      const std::string key_text = j.spec.name() + "\n" + j.spec.generator_params() + "\n" + halide_target + "\n" +
                                   j.choice.candidate.describe() + "\n" + file_identity(generator) + "\n" +
                                   package_runtime_version();
      const std::string key = sha256_hex(key_text.data(), key_text.size()).substr(0, 20);
      const std::string dir = cache + "/" + j.spec.name() + "-" + key;
      j.object = dir + "/cand_" + j.spec.name() + ".o";
      if (fs::exists(j.object)) {
        j.cached = true;
      } else {
        const std::string tmp = dir + ".tmp." + std::to_string(getpid()) + "." + std::to_string(i);
        fs::remove_all(tmp);
        fs::create_directories(tmp);
        tune::CompileOptions co;
        co.target = o.target;
        co.work_dir = tmp;
        co.generator_dir = gen_dir;
        co.timeout_s = 600;
        const tune::CompileResult r = tune::compile_candidate(j.spec, j.choice.candidate, co, j.spec.name());
        if (!r.ok) {
          j.error = r.error;
        } else {
          std::error_code ec;
          fs::rename(tmp, dir, ec);  // another compiler may have won the race: its object is as good
        }
        fs::remove_all(tmp);
        if (j.error.empty() && !fs::exists(j.object)) j.error = "the compiled object " + j.object + " is missing";
      }
      j.seconds = since(t0);
      std::lock_guard<std::mutex> lock(out_mu);
      ++done;
      char line[512];
      std::snprintf(line, sizeof line, "[%2d/%zu] %-44s %s", done, jobs.size(), j.spec.name().c_str(),
                    !j.error.empty() ? "FAILED" : j.cached ? "cached" : "");
      progress << line;
      if (j.error.empty() && !j.cached) progress << std::fixed << std::setprecision(1) << j.seconds << " s";
      if (!j.choice.record.empty() && j.error.empty())
        progress << "  (" << (j.choice.candidate.autoscheduler.empty() ? j.choice.candidate.describe() : j.choice.candidate.autoscheduler) << ")";
      progress << std::endl;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < n_threads; ++t) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  for (const Job& j : jobs)
    if (!j.error.empty()) throw std::runtime_error("kernel " + j.spec.name() + " (" + j.spec.generator_params() + "): " + j.error);

  // The entry table and identity strings, compiled and linked with the objects.
  const std::string config_json = config_to_json(cfg);
  const std::string link_dir = staging.dir() + "/.build";  // removed before publishing
  fs::create_directories(link_dir);
  {
    std::ofstream f(link_dir + "/entries.cpp");
    f << "// Generated by micronet compile.\nstruct halide_filter_metadata_t;\n"
      << "struct MicronetPackageEntry { const char* name; int (*argv)(void**); const halide_filter_metadata_t* (*metadata)(); };\n"
      << "extern \"C\" {\n";
    for (const Job& j : jobs)
      f << "int cand_" << j.spec.name() << "_argv(void**);\nconst halide_filter_metadata_t* cand_" << j.spec.name()
        << "_metadata();\n";
    f << "__attribute__((visibility(\"default\"))) extern const MicronetPackageEntry micronet_package_entries[] = {\n";
    for (const Job& j : jobs)
      f << "  {\"" << j.spec.name() << "\", &cand_" << j.spec.name() << "_argv, &cand_" << j.spec.name() << "_metadata},\n";
    f << "};\n__attribute__((visibility(\"default\"))) extern const int micronet_package_entry_count = " << jobs.size() << ";\n";
    auto str = [&](const char* name, const std::string& v) {
      f << "__attribute__((visibility(\"default\"))) extern const char " << name << "[] = " << quote(v) << ";\n";
    };
    str("micronet_package_format", kPackageFormat);
    str("micronet_package_version", package_runtime_version());
    str("micronet_package_halide_target", halide_target);
    str("micronet_package_config_sha256", sha256_hex(config_json.data(), config_json.size()));
    f << "}\n";
    f.close();
    // A full disk would otherwise surface as a compile error in half a source file.
    if (!f) throw std::runtime_error(link_dir + "/entries.cpp: write failed: " + std::strerror(errno));
  }
  const char* cxx = std::getenv("CXX");
  const std::string linker = ht.arch == Halide::Target::ARM && ht.bits == 64 ? "aarch64-linux-gnu-g++" : (cxx && *cxx ? cxx : "c++");
  const std::string lib = staging.dir() + "/" + kPackageLibrary;
  std::vector<std::string> link = {linker, "-shared", "-fPIC", "-O1", "-Wl,-Bsymbolic", "-o", lib,
                                   link_dir + "/entries.cpp"};
  // Android's loader (bionic) has no libc.so.6 and none of glibc's symbol versions, and the
  // cross linker here is glibc's: linked as usual, kernels.so NEEDs libc.so.6 and refers to
  // memcpy@GLIBC_2.17, which dlopen on a phone refuses. Linked against nothing instead, its few
  // libc/libm symbols (memcpy, expf, ...) resolve at dlopen from the process that loads it (the
  // Android build of the runtime, which links bionic's libc and libm), as the Halide runtime's
  // own symbols do. A soname, both hash styles (old loaders read only DT_HASH) and 16 KiB
  // pages (Android 15 devices) are what the NDK's own linking gives a shared library.
  if (ht.os == Halide::Target::Android)
    link.insert(link.begin() + 1, {"-nostdlib", "-Wl,-soname," + std::string(kPackageLibrary), "-Wl,--hash-style=both",
                                   "-Wl,-z,max-page-size=16384"});
  for (const Job& j : jobs) link.push_back(j.object);
  try {
    run_checked(link, link_dir + "/link.log", "linking the package library with " + linker);
  } catch (const std::runtime_error& e) {
    // On a full disk the linker's own message is lost with its log (written there too): say
    // so when the folder has less room than the objects it links ("Input/output error" and a
    // bare "ld returned 1" before).
    uintmax_t objects = 0;
    for (const Job& j : jobs) {
      std::error_code ec;
      objects += fs::file_size(j.object, ec);
    }
    struct statvfs vfs {};
    if (::statvfs(staging.dir().c_str(), &vfs) == 0 && uintmax_t(vfs.f_bavail) * vfs.f_frsize < objects)
      throw std::runtime_error("linking the package library failed: No space left on device (" +
                               std::to_string(uintmax_t(vfs.f_bavail) * vfs.f_frsize / 1024) + " KiB free beside " +
                               res_out_name(o.out) + ", its " + std::to_string(jobs.size()) + " objects need ~" +
                               std::to_string(objects / 1024) + " KiB)");
    throw;
  }
  fs::remove_all(link_dir);

  std::string weights_sha;
  if (!o.weights.empty()) {
    write_bytes_synced(staging.dir() + "/" + kPackageWeights, weight_bytes);
    weights_sha = sha256_hex(weight_bytes.data(), weight_bytes.size());
  }

  uint64_t lib_bytes = 0;
  const std::string lib_sha = sha256_file(lib, &lib_bytes);
  res.kernels = int(jobs.size());
  for (const Job& j : jobs) (j.cached ? res.cached : res.compiled)++;
  res.seconds = since(start);
  write_file_atomic(staging.dir() + "/" + kPackageManifest, [&](std::ostream& m) {
    m << "{\n  \"format\": " << quote(kPackageFormat) << ",\n  \"project_version\": " << quote(package_runtime_version())
      << ",\n  \"name\": " << quote(cfg.arch) << ",\n  \"target\": " << quote(o.target)
      << ",\n  \"halide_target\": " << quote(halide_target) << ",\n  \"device_api\": " << quote(device_api_of(halide_target))
      << ",\n  \"input_size\": [" << h << ", " << w << "],\n  \"classes\": " << classes
      << ",\n  \"library\": " << quote(kPackageLibrary) << ",\n  \"library_bytes\": " << lib_bytes
      << ",\n  \"library_sha256\": " << quote(lib_sha) << ",\n  \"weights\": "
      << (o.weights.empty() ? std::string("null")
                            : quote(kPackageWeights) + ",\n  \"weights_bytes\": " + std::to_string(weight_bytes.size()) +
                                  ",\n  \"weights_sha256\": " + quote(weights_sha))
      << ",\n  \"tuning\": {\"source\": " << (o.tuning.empty() ? std::string("null") : quote(o.tuning))
      << ", \"base\": " << (o.base_tuning.empty() ? std::string("null") : quote(o.base_tuning)) << ", \"records\": [";
    bool first = true;
    for (const Job& j : jobs)
      if (!j.choice.record.empty()) {
        m << (first ? "\n    " : ",\n    ") << quote(j.choice.record);
        first = false;
      }
    m << (first ? "" : "\n  ") << "]},\n  \"kernels\": [\n";
    for (size_t i = 0; i < jobs.size(); ++i) {
      const Job& j = jobs[i];
      m << "    {\"name\": " << quote(j.spec.name()) << ", \"function\": " << quote("cand_" + j.spec.name())
        << ", \"generator\": " << quote(j.spec.generator()) << ", \"schedule\": " << quote(j.choice.candidate.describe())
        << ", \"params\": " << quote(j.spec.generator_params()) << "}" << (i + 1 < jobs.size() ? "," : "") << "\n";
    }
    m << "  ],\n  \"compile_seconds\": " << res.seconds << ",\n  \"config\": ";
    std::istringstream cfg_lines(config_json);
    std::string l;
    bool first_line = true;
    while (std::getline(cfg_lines, l)) {
      m << (first_line ? "" : "\n  ") << l;
      first_line = false;
    }
    m << "\n}\n";
  });
  {
    const std::vector<uint8_t> m = read_file_bytes(staging.dir() + "/" + kPackageManifest);
    res.manifest_sha256 = sha256_hex(m.data(), m.size());
  }
  staging.publish();
  res.dir = fs::absolute(o.out).lexically_normal().string();
  return res;
}

}  // namespace micronet::compiler
