// Issue 30, packages: the library is verified and loaded as the same bytes (a file swapped
// in a loop ran the replacement's constructor), the weights are the package's own file and
// hashed, special files are refused at once, a truncated library or a bad entry table is
// refused before use (SIGBUS / SIGSEGV before), manifest fields are bounded, a manifest's
// SHA-256 pins a package, refused loads leave nothing loaded; and `micronet compile`
// publishes a package atomically: kill -9 at any point or two compiles into one --out leave
// the old or the new complete package, and no stray process or temporary folder.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "formats/safetensors.h"
#include "formats/sha256.h"
#include "models/config_json.h"
#include "models/plan.h"
#include "models/random_weights.h"
#include "runtime/elf_image.h"
#include "runtime/package.h"
#include "tests/common/small_tmpfs.h"

namespace fs = std::filesystem;

namespace micronet {
namespace {

const std::string kConfig = MICRONET_SOURCE_DIR "/tests/data/configs/tiny.json";
const std::string kWork = MICRONET_TEST_WORK_DIR;

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
void spit(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary | std::ios::trunc) << s; }

int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

std::string compile_cmd(const std::string& out, const std::string& extra, const std::string& cache = kWork + "/cache") {
  return std::string(MICRONET_COMPILE_EXE) + " --config " + kConfig + " --cache-dir " + cache + " --out " + out + " " +
         extra;
}

// The tiny package (and one with weights), compiled once into the shared test cache.
const std::string& good_package() {
  static const std::string dir = [] {
    const std::string d = kWork + "/hard-good";
    fs::create_directories(kWork);
    EXPECT_EQ(run(compile_cmd(d, "> " + d + ".log 2>&1")), 0) << slurp(d + ".log");
    return d;
  }();
  return dir;
}
const std::string& weights_package() {
  static const std::string dir = [] {
    const std::string w = kWork + "/hard-tiny.safetensors";
    const ModelConfig cfg = load_config_file(kConfig);
    write_safetensors(w, random_weights(plan_model(cfg, 64, 64, 10), 3));
    const std::string d = kWork + "/hard-weights";
    EXPECT_EQ(run(compile_cmd(d, "--weights " + w + " > " + d + ".log 2>&1")), 0) << slurp(d + ".log");
    return d;
  }();
  return dir;
}

// A fresh copy of `from` named `name`, `edit` applied; then open()'s message.
std::string copy_of(const std::string& from, const std::string& name) {
  const std::string dir = kWork + "/hard-" + name;
  fs::remove_all(dir);
  fs::copy(from, dir, fs::copy_options::recursive);
  return dir;
}
std::string refusal(const std::string& dir, const std::string& expect_sha = "") {
  try {
    ModelPackage::open(dir, expect_sha);
  } catch (const PackageError& e) {
    return e.what();
  }
  return "(accepted)";
}

void replace_in(const std::string& path, const std::string& from, const std::string& to) {
  std::string s = slurp(path);
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  spit(path, s);
}

// The manifest's library_bytes/library_sha256 set to what DIR/kernels.so is now: a library
// "with a matching manifest", as an accident cannot make but an attacker can.
void rehash_library(const std::string& dir) {
  const std::string lib = slurp(dir + "/kernels.so");
  std::string m = slurp(dir + "/manifest.json");
  const size_t b = m.find("\"library_bytes\": ");
  const size_t be = m.find(',', b);
  m.replace(b, be - b, "\"library_bytes\": " + std::to_string(lib.size()));
  const size_t s = m.find("\"library_sha256\": \"") + 19;
  m.replace(s, 64, sha256_hex(lib.data(), lib.size()));
  spit(dir + "/manifest.json", m);
}

// A shared library compiled here from `source` (c++ -shared), as an attacker would make one.
std::string build_library(const std::string& name, const std::string& source) {
  const std::string src = kWork + "/" + name + ".cpp", lib = kWork + "/" + name + ".so";
  spit(src, source);
  EXPECT_EQ(run("c++ -shared -fPIC -O1 -o " + lib + " " + src + " > " + lib + ".log 2>&1"), 0) << slurp(lib + ".log");
  return lib;
}

// The identity strings of a good library, as C++ definitions for a forged one.
std::string identity_of(const std::string& lib_path, int count_override = -1) {
  const std::string bytes = slurp(lib_path);
  const ElfImage elf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  std::string s = "extern \"C\" {\n";
  for (const char* n : {"micronet_package_format", "micronet_package_version", "micronet_package_halide_target",
                        "micronet_package_config_sha256"})
    s += std::string("__attribute__((visibility(\"default\"))) extern const char ") + n + "[] = \"" +
         elf.string_symbol(n, 4096) + "\";\n";
  int count = 0;
  std::memcpy(&count, elf.symbol("micronet_package_entry_count").bytes, sizeof count);
  if (count_override >= 0) count = count_override;
  s += "__attribute__((visibility(\"default\"))) extern const int micronet_package_entry_count = " +
       std::to_string(count) + ";\n}\n";
  return s;
}
int entry_count(const std::string& lib_path) {
  const std::string bytes = slurp(lib_path);
  const ElfImage elf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  int count = 0;
  std::memcpy(&count, elf.symbol("micronet_package_entry_count").bytes, sizeof count);
  return count;
}

int mapped_package_libraries() {  // private copies of package libraries mapped in this process
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::set<std::string> inodes;
  while (std::getline(maps, line))
    if (line.find("micronet-package") != std::string::npos) {
      std::istringstream w(line);
      std::string a, p, o, dev, inode;
      w >> a >> p >> o >> dev >> inode;
      inodes.insert(inode);
    }
  return int(inodes.size());
}

TEST(PackageHardening, ManifestFieldsAreBoundedNeverWrapped) {
  const std::string good = good_package();
  ASSERT_EQ(refusal(good), "(accepted)");
  const std::map<std::string, std::pair<std::string, std::string>> edits = {
      {"classes0", {"\"classes\": 10,", "\"classes\": 0,"}},
      {"classes-1", {"\"classes\": 10,", "\"classes\": -1,"}},
      {"classes2^31", {"\"classes\": 10,", "\"classes\": 2147483648,"}},
      {"classes2^40", {"\"classes\": 10,", "\"classes\": 1099511627776,"}},
      {"classes11", {"\"classes\": 10,", "\"classes\": 11,"}},
      {"size0", {"\"input_size\": [64, 64]", "\"input_size\": [0, 0]"}},
      {"size-64", {"\"input_size\": [64, 64]", "\"input_size\": [-64, -64]"}},
      {"size100000", {"\"input_size\": [64, 64]", "\"input_size\": [100000, 100000]"}},
      {"weights5", {"\"weights\": null", "\"weights\": 5"}},
      {"bytes2^40", {"\"library_bytes\": ", "\"library_bytes\": 1099511627776, \"x\": "}},
  };
  for (const auto& [name, e] : edits) {
    const std::string dir = copy_of(good, name);
    replace_in(dir + "/manifest.json", e.first, e.second);
    const auto t0 = Clock::now();
    const std::string m = refusal(dir);
    EXPECT_NE(m.find(dir + "/manifest.json: field '"), std::string::npos) << name << ": " << m;
    EXPECT_LT(since(t0), 1.0) << name;
  }
}

TEST(PackageHardening, WeightsAreTheirOwnFileAndHashed) {
  const std::string pkg = weights_package();
  {
    const auto p = ModelPackage::open(pkg);
    EXPECT_FALSE(p->read_weights().empty());
  }
  // A path out of the package: "../other/A.safetensors" loaded silently, "/etc/passwd" was read.
  for (const std::string& path : {"../hard-weights/weights.safetensors", "../../../../../etc/passwd", "/etc/passwd"}) {
    const std::string dir = copy_of(pkg, "escape");
    replace_in(dir + "/manifest.json", "\"weights\": \"weights.safetensors\"", "\"weights\": \"" + path + "\"");
    const std::string m = refusal(dir);
    EXPECT_NE(m.find("field 'weights' must be null or \"weights.safetensors\""), std::string::npos) << m;
  }
  // Edited weights: refused when read, naming the file.
  std::string dir = copy_of(pkg, "edited-weights");
  {
    std::fstream f(dir + "/weights.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-4, std::ios::end);
    f.put('\x7f');
  }
  const auto p = ModelPackage::open(dir);
  try {
    p->read_weights();
    ADD_FAILURE() << "edited weights accepted";
  } catch (const PackageError& e) {
    EXPECT_NE(std::string(e.what()).find("weights.safetensors has SHA-256"), std::string::npos) << e.what();
  }
  // A symbolic link in place of the weights (to a file elsewhere) is refused.
  dir = copy_of(pkg, "linked-weights");
  fs::remove(dir + "/weights.safetensors");
  fs::create_symlink(kWork + "/hard-tiny.safetensors", dir + "/weights.safetensors");
  EXPECT_NE(refusal(dir).find("not a regular file"), std::string::npos) << refusal(dir);
}

TEST(PackageHardening, SpecialFilesAreRefusedAtOnce) {
  const std::string good = good_package();
  const std::string wpkg = weights_package();
  struct Case {
    std::string name, from, file;
    bool fifo;  // else a link to /dev/zero
  };
  for (const Case& c : std::vector<Case>{{"fifo-manifest", good, "manifest.json", true},
                                         {"fifo-library", good, "kernels.so", true},
                                         {"zero-library", good, "kernels.so", false},
                                         {"fifo-weights", wpkg, "weights.safetensors", true}}) {
    const std::string dir = copy_of(c.from, c.name);
    const std::string f = dir + "/" + c.file;
    fs::remove(f);
    if (c.fifo) {
      ASSERT_EQ(::mkfifo(f.c_str(), 0600), 0);
    } else {
      fs::create_symlink("/dev/zero", f);
    }
    const auto t0 = Clock::now();
    const std::string m = refusal(dir);
    EXPECT_NE(m.find(c.file), std::string::npos) << c.name << ": " << m;
    EXPECT_LT(since(t0), 1.0) << c.name;
  }
}

TEST(PackageHardening, TruncatedLibraryWithMatchingManifestIsRefusedNotMapped) {
  // It raised SIGBUS (the loader mapped segments past the end of the file).
  for (const double keep : {0.5, 0.9, 0.99}) {
    const std::string dir = copy_of(good_package(), "trunc");
    fs::resize_file(dir + "/kernels.so", uintmax_t(double(fs::file_size(dir + "/kernels.so")) * keep));
    rehash_library(dir);
    const std::string m = refusal(dir);
    EXPECT_NE(m.find("not a micronet package library"), std::string::npos) << keep << ": " << m;
    EXPECT_NE(m.find("past the end of the file"), std::string::npos) << keep << ": " << m;
  }
}

TEST(PackageHardening, EntryTableIsValidatedBeforeUse) {
  const std::string good = good_package();
  const int count = entry_count(good + "/kernels.so");
  // 50M entries declared: refused before the library is loaded.
  std::string dir = copy_of(good, "count");
  {
    std::string bytes = slurp(dir + "/kernels.so");
    const ElfImage elf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    const size_t at = size_t(elf.symbol("micronet_package_entry_count").bytes - reinterpret_cast<const uint8_t*>(bytes.data()));
    const int huge = 50000000;
    std::memcpy(&bytes[at], &huge, sizeof huge);
    spit(dir + "/kernels.so", bytes);
  }
  rehash_library(dir);
  std::string m = refusal(dir);
  EXPECT_NE(m.find("declares 50000000"), std::string::npos) << m;
  // A forged library with the right identity and null entries (SIGSEGV before), then one
  // with null names (a "basic_string from null" naming no file before).
  const int before = mapped_package_libraries();
  for (const std::string& entry : {"{nullptr, nullptr, nullptr}", "{nullptr, &f, &g}"}) {
    std::string src = "struct E { const char* n; int (*a)(void**); const void* (*m)(); };\n"
                      "static int f(void**) { return 0; }\nstatic const void* g() { return nullptr; }\n" +
                      identity_of(good + "/kernels.so") +
                      "extern \"C\" {\n__attribute__((visibility(\"default\"))) extern const E micronet_package_entries[] = {";
    for (int i = 0; i < count; ++i) src += (i ? ", " : "") + entry;
    src += "};\n}\n";
    const std::string lib = build_library("forged", src);
    dir = copy_of(good, "forged");
    fs::copy_file(lib, dir + "/kernels.so", fs::copy_options::overwrite_existing);
    rehash_library(dir);
    m = refusal(dir);
    EXPECT_NE(m.find("entry 0 has no name"), std::string::npos) << entry << ": " << m;
    EXPECT_NE(m.find(dir + "/kernels.so"), std::string::npos) << m;
  }
  // Refused loads leave nothing mapped (each kept ~186 KB before).
  EXPECT_EQ(mapped_package_libraries(), before);
}

TEST(PackageHardening, VerifiesAndLoadsTheSameBytesWhileTheFileIsSwapped) {
  // The replacement's constructor leaves a mark if it ever runs.
  const std::string mark = kWork + "/evil-ran";
  fs::remove(mark);
  const std::string evil = build_library(
      "evil", "#include <cstdio>\n__attribute__((constructor)) static void evil() { std::FILE* f = std::fopen(\"" + mark +
                  "\", \"w\"); if (f) std::fclose(f); }\n");
  const std::string good = good_package();
  std::atomic<bool> stop{false};
  std::atomic<int> loaded{0}, refused{0};
  for (int i = 0; i < 150; ++i) {
    // A distinct valid library each time (bytes appended after the ELF contents), so each
    // load is a fresh verify + load, not the cached one.
    const std::string dir = copy_of(good, "race");
    {
      std::ofstream f(dir + "/kernels.so", std::ios::app | std::ios::binary);
      f << "pad" << i;
    }
    rehash_library(dir);
    const std::string genuine = dir + "/genuine.so";
    fs::copy_file(dir + "/kernels.so", genuine);
    std::thread swapper([&] {
      for (int k = 0; !stop; ++k) {
        const std::string tmp = dir + "/swap.tmp";
        fs::remove(tmp);
        fs::copy_file(k % 2 ? genuine : evil, tmp);
        fs::rename(tmp, dir + "/kernels.so");
      }
    });
    try {
      ModelPackage::open(dir);
      ++loaded;
    } catch (const PackageError&) {
      ++refused;
    }
    stop = true;
    swapper.join();
    stop = false;
  }
  std::cout << "  150 loads during swaps: " << loaded << " loaded (genuine bytes), " << refused << " refused\n";
  EXPECT_FALSE(fs::exists(mark)) << "the replacement library's code ran";
  EXPECT_EQ(loaded + refused, 150);
}

TEST(PackageHardening, ExpectSha256PinsTheManifest) {
  const std::string good = good_package();
  const std::string m = slurp(good + "/manifest.json");
  const std::string sha = sha256_hex(m.data(), m.size());
  EXPECT_EQ(refusal(good, sha), "(accepted)");
  std::string upper = sha;
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(refusal(good, upper), "(accepted)");
  const std::string other = std::string(64, 'a');
  EXPECT_NE(refusal(good, other).find("not the package you trusted"), std::string::npos) << refusal(good, other);
  // A package rebuilt by someone else (a consistent manifest and library) is refused too.
  const std::string dir = copy_of(good, "repinned");
  {
    std::ofstream f(dir + "/kernels.so", std::ios::app | std::ios::binary);
    f << "other";
  }
  rehash_library(dir);
  EXPECT_EQ(refusal(dir), "(accepted)");
  EXPECT_NE(refusal(dir, sha).find("not the package you trusted"), std::string::npos);
}

TEST(PackageHardening, OneLibraryOpenedFromManyFoldersIsMappedOnce) {
  const std::string good = good_package();
  ModelPackage::open(good);
  const int before = mapped_package_libraries();
  for (int i = 0; i < 20; ++i) ModelPackage::open(copy_of(good, "copy" + std::to_string(i)));
  EXPECT_EQ(mapped_package_libraries(), before);
}

// ---- micronet compile: atomic publishing, faults ---------------------------------------

// Processes whose command line mentions `needle` (a test's own cache folder).
int processes_mentioning(const std::string& needle) {
  int n = 0;
  for (const fs::directory_entry& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid == std::to_string(::getpid())) continue;
    std::string cmd = slurp(e.path().string() + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(needle) != std::string::npos) ++n;
  }
  return n;
}

int temp_folders_in(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp.") != std::string::npos || name.rfind("link.", 0) == 0) ++n;
  }
  return n;
}

pid_t spawn_compile(const std::string& out, const std::string& cache, const std::string& extra) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string cmd = "exec " + compile_cmd(out, extra, cache) + " >/dev/null 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

int classes_of(const std::string& dir) { return ModelPackage::open(dir)->num_classes(); }

TEST(PackageCompileFaults, KillMinus9LeavesTheOldOrTheNewPackageAndNoStrays) {
  const std::string base = kWork + "/faults";
  fs::remove_all(base);
  fs::create_directories(base);
  const std::string out = base + "/pkg";
  // The old, good package (10 classes), from the shared warm cache.
  ASSERT_EQ(run(compile_cmd(out, "> /dev/null 2>&1")), 0);
  // New ones (7 classes: a new head kernel, the rest cached) killed at several points: while
  // compiling, linking, writing, renaming.
  int saw_new = 0, round = 0;
  for (const int ms : {20, 60, 120, 200, 300, 450, 700, 1000, 1500}) {
    const pid_t pid = spawn_compile(out, kWork + "/cache", std::string("--classes ") + (round++ % 2 ? "7" : "5"));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    const int c = classes_of(out);  // throws (fails the test) for a broken package
    EXPECT_TRUE(c == 10 || c == 7 || c == 5) << c;
    saw_new += c != 10;
  }
  std::cout << "  the package after 9 kills: " << (saw_new ? "new or old" : "always the old") << ", never broken\n";
  // The next compile cleans what the killed ones left beside --out.
  ASSERT_EQ(run(compile_cmd(out, "> /dev/null 2>&1")), 0);
  EXPECT_EQ(classes_of(out), 10);
  EXPECT_EQ(temp_folders_in(base), 0);
}

TEST(PackageCompileFaults, KilledCompileStopsItsGeneratorsAndTheNextCleansTheCache) {
  // A cold cache of its own, so generators are running when the compile is killed.
  const std::string base = kWork + "/faults-cold";
  fs::remove_all(base);
  fs::create_directories(base);
  const std::string cache = base + "/cache-cold-" + std::to_string(::getpid());
  const pid_t pid = spawn_compile(base + "/pkg", cache, "--jobs 2");
  const auto t0 = Clock::now();
  while (processes_mentioning(cache) < 2 && since(t0) < 20) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(processes_mentioning(cache), 2) << "no generator started";
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  const auto t1 = Clock::now();
  while (processes_mentioning(cache) > 0 && since(t1) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(processes_mentioning(cache), 0) << "generators outlived the killed compile";
  std::cout << "  generators gone " << since(t1) << " s after the kill\n";
  // Its temporary folders go with the next compile into that cache (which finishes the job).
  EXPECT_EQ(run(compile_cmd(base + "/pkg", "--jobs 2 > /dev/null 2>&1", cache)), 0);
  EXPECT_EQ(temp_folders_in(base), 0);
  fs::remove_all(base);
}

TEST(PackageCompileFaults, TwoCompilesIntoOneOutLeaveOneCompletePackage) {
  const std::string base = kWork + "/faults-two";
  fs::remove_all(base);
  fs::create_directories(base);
  const std::string out = base + "/pkg";
  for (int round = 0; round < 6; ++round) {
    const pid_t a = spawn_compile(out, kWork + "/cache", "--classes 7");
    const pid_t b = spawn_compile(out, kWork + "/cache", "--classes 5");
    int sa = 0, sb = 0;
    ::waitpid(a, &sa, 0);
    ::waitpid(b, &sb, 0);
    // Both said "run it", and both were right: the last complete package won.
    EXPECT_TRUE(WIFEXITED(sa) && WEXITSTATUS(sa) == 0) << round;
    EXPECT_TRUE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0) << round;
    const int c = classes_of(out);
    EXPECT_TRUE(c == 7 || c == 5) << c;
  }
  EXPECT_EQ(temp_folders_in(base), 0);
  fs::remove_all(base);
}

TEST(PackageCompileFaults, AUserFolderIsNeverReplaced) {
  const std::string base = kWork + "/faults-user";
  fs::remove_all(base);
  fs::create_directories(base + "/mine");
  spit(base + "/mine/notes.txt", "mine");
  const std::string log = base + "/log";
  EXPECT_EQ(run(compile_cmd(base + "/mine", "> " + log + " 2>&1")), 2);
  EXPECT_NE(slurp(log).find("refusing to replace it"), std::string::npos) << slurp(log);
  EXPECT_EQ(slurp(base + "/mine/notes.txt"), "mine");
  fs::remove_all(base);
}

TEST(PackageCompileFaults, AFullDiskIsReportedAndLeavesNothing) {
  const std::string base = kWork + "/faults-full";
  fs::remove_all(base);
  const std::string mnt = base + "/mnt";
  const test::SmallTmpfs tmpfs(mnt, "64k");
  if (!tmpfs.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const std::string log = base + "/log";
  EXPECT_NE(run(compile_cmd(mnt + "/pkg", "> " + log + " 2>&1")), 0);
  const std::string text = slurp(log);
  EXPECT_NE(text.find("No space left on device"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(mnt + "/pkg"));
  EXPECT_TRUE(fs::is_empty(mnt)) << "a partial package or staging folder was left";
}

}  // namespace
}  // namespace micronet
