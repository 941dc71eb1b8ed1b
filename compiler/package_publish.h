// Publishing a model package all at once: the package is built in a staging folder beside
// its destination (`.<name>.tmp.<pid>.XXXXXX`, unique per writer) and moved into place with
// one rename (exchanging with the old package, which is then removed). A reader, or a kill
// at any point, sees the old complete package or the new complete one, never a mix (a kill
// between the library's and the manifest's renames left new library + old manifest, and two
// compiles into one --out shared `kernels.so.tmp`). Staging and cache folders left by a
// killed compile are removed by the next one (their process is gone).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace micronet::compiler {

class PackageStaging {
 public:
  // Throws std::invalid_argument when `out` exists and is not a folder that a package may
  // replace (an empty folder or one holding only a package's files): a user's folder is
  // never swapped away. Removes stale staging folders of dead compiles beside it, then
  // creates this one (and `out`'s parent folders).
  explicit PackageStaging(const std::string& out);
  ~PackageStaging();  // removes the staging folder unless published
  PackageStaging(const PackageStaging&) = delete;
  PackageStaging& operator=(const PackageStaging&) = delete;

  const std::string& dir() const { return dir_; }
  // Flushes every file and the folder to disk, then moves the folder to `out` in one rename.
  // Throws std::runtime_error naming the folders (the staging folder is then removed).
  void publish();

 private:
  std::string out_, dir_;
  bool published_ = false;
};

// Writes `bytes` to `path` (created, fsync'ed); std::runtime_error with errno's text
// ("No space left on device") naming the file.
void write_bytes_synced(const std::string& path, const std::vector<uint8_t>& bytes);

// Flushes an existing file to disk; std::runtime_error naming it.
void fsync_path(const std::string& path);

// Removes the subfolders of `folder` named `*.tmp.<pid>.*` or `link.<pid>` whose process no
// longer runs on this machine (a compile killed mid-way). Best effort: errors are ignored.
void remove_dead_temps(const std::string& folder);

}  // namespace micronet::compiler
