// A small tmpfs mounted for one test, unmounted when it goes: the full-disk tests (tuning
// database, latency table, appends, package compiles) fill it up. Mounting needs root; where
// it fails the test skips:
//   SmallTmpfs fs(dir + "/mnt", "64k");
//   if (!fs.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace micronet::test {

class SmallTmpfs {
 public:
  SmallTmpfs(const std::string& mount_point, const std::string& size) : path_(mount_point) {
    std::filesystem::create_directories(path_);
    mounted_ = ::geteuid() == 0 && ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

}  // namespace micronet::test
