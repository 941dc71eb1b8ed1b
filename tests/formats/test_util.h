// Scratch folders, raw file access and the Python side for the format tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace micronet::testing {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards; named after the test so leftovers of a
// crashed run are easy to attribute.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("micronet_" + std::string(info ? info->name() : "test") + "_" +
             std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline void spit(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

inline void spit(const std::string& path, const std::string& text) {
  spit(path, std::vector<uint8_t>(text.begin(), text.end()));
}

// Runs MICRONET_PYTHON with `args` (already shell-quoted where needed); returns the exit
// status and keeps the output in `log`.
inline int run_python(const std::string& args, std::string* log = nullptr) {
  const std::string out = (fs::temp_directory_path() /
                           ("micronet_python_" + std::to_string(::getpid()) + ".log")).string();
  const int rc = std::system((std::string(MICRONET_PYTHON) + " " + args + " >" + out + " 2>&1").c_str());
  if (log) {
    const std::vector<uint8_t> b = slurp(out);
    log->assign(b.begin(), b.end());
  }
  fs::remove(out);
  return rc;
}

// Whether MICRONET_PYTHON can import `module` (torch, numpy) for the interop tests.
inline bool python_has(const std::string& module) {
  return run_python("-c 'import " + module + "'") == 0;
}

// The process's peak resident memory so far, in MiB. Each test runs in its own process
// under ctest (gtest_discover_tests), so the growth across one call bounds what it
// allocated (and touched).
inline long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// The official state_dict listings, copied into the tree (tests/data/official_state_dicts).
inline std::string state_dict_dir() { return MICRONET_STATE_DICT_DIR; }

// Matches a thrown exception's message against every fragment.
#define EXPECT_THROW_MSG(stmt, type, ...)                                      \
  do {                                                                         \
    try {                                                                      \
      stmt;                                                                    \
      ADD_FAILURE() << "no exception from " #stmt;                             \
    } catch (const type& e) {                                                  \
      for (const std::string& frag : std::vector<std::string>{__VA_ARGS__})    \
        EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)         \
            << "message '" << e.what() << "' lacks '" << frag << "'";          \
    }                                                                          \
  } while (0)

}  // namespace micronet::testing
