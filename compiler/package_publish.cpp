#include "compiler/package_publish.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "formats/file_io.h"
#include "runtime/package_manifest.h"

namespace fs = std::filesystem;

namespace micronet::compiler {

namespace {

std::string err_text(int e) { return std::strerror(e); }

// The pid in "<anything>.tmp.<pid>.<anything>" or "link.<pid>", 0 when the name is neither.
pid_t temp_owner(const std::string& name) {
  size_t at = name.find(".tmp.");
  size_t digits_from;
  if (at != std::string::npos) {
    digits_from = at + 5;
  } else if (name.rfind("link.", 0) == 0) {
    digits_from = 5;
  } else {
    return 0;
  }
  size_t end = digits_from;
  while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
  if (end == digits_from || end - digits_from > 9) return 0;
  if (end != name.size() && name[end] != '.') return 0;
  return pid_t(std::stol(name.substr(digits_from, end - digits_from)));
}

bool process_gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

void sync_folder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: some file systems refuse it
  ::close(fd);
}

// What `out` may hold for a compile to replace it: a package's files only.
void check_replaceable(const fs::path& out) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(out, ec);
  if (ec || !fs::exists(st)) return;
  if (!fs::is_directory(st))
    throw std::invalid_argument("--out " + out.string() + " exists and is not a folder; refusing to replace it");
  static const std::set<std::string> kOwn = {kPackageManifest, kPackageLibrary, kPackageWeights};
  std::string others;
  int n = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    if (kOwn.count(name)) continue;
    if (++n <= 3) others += (others.empty() ? "" : ", ") + name;
  }
  if (ec) throw std::invalid_argument("--out " + out.string() + ": cannot list the folder: " + ec.message());
  if (n > 0)
    throw std::invalid_argument("--out " + out.string() + " holds files that are not a package's (" + others +
                                (n > 3 ? ", ..." : "") + "); refusing to replace it: name a new or package folder");
}

}  // namespace

void remove_dead_temps(const std::string& folder) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
    const pid_t owner = temp_owner(e.path().filename().string());
    std::error_code ec2;
    if (owner > 0 && owner != ::getpid() && process_gone(owner) && e.is_directory(ec2)) fs::remove_all(e.path(), ec2);
  }
}

PackageStaging::PackageStaging(const std::string& out) {
  fs::path o = fs::absolute(out).lexically_normal();
  if (!o.has_filename()) o = o.parent_path();  // "pkg/" -> "pkg"
  out_ = o.string();
  check_replaceable(o);
  const fs::path parent = o.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error("--out " + out_ + ": cannot create its folder " + parent.string() + ": " + ec.message());
  // Beside the destination (same file system: the publish is a rename, never a copy).
  const std::string name = o.filename().string().substr(0, 120);
  std::error_code ec3;
  for (const fs::directory_entry& e : fs::directory_iterator(parent, ec3)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("." + name + ".tmp.", 0) != 0) continue;
    const pid_t owner = temp_owner(n);
    std::error_code ec2;
    if (owner > 0 && process_gone(owner)) fs::remove_all(e.path(), ec2);
  }
  std::string tmpl = (parent / ("." + name + ".tmp." + std::to_string(::getpid()) + ".XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("--out " + out_ + ": cannot create a staging folder beside it: " + err_text(errno));
  dir_ = tmpl;
}

PackageStaging::~PackageStaging() {
  if (published_ || dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void PackageStaging::publish() {
  for (const char* f : {kPackageLibrary, kPackageWeights, kPackageManifest}) {
    const std::string p = dir_ + "/" + f;
    if (::access(p.c_str(), F_OK) == 0) fsync_path(p);
  }
  sync_folder(dir_);
  // A new --out: one rename. An existing one: exchanged atomically with the new folder, then
  // the old package (now at the staging name) is removed.
  if (::renameat2(AT_FDCWD, dir_.c_str(), AT_FDCWD, out_.c_str(), RENAME_NOREPLACE) != 0) {
    const int e = errno;
    if (e != EEXIST && e != ENOTEMPTY && e != EINVAL)
      throw std::runtime_error("cannot move the package into place (" + dir_ + " -> " + out_ + "): " + err_text(e));
    check_replaceable(out_);  // again: it may have changed while we compiled
    if (::renameat2(AT_FDCWD, dir_.c_str(), AT_FDCWD, out_.c_str(), RENAME_EXCHANGE) != 0) {
      const int e2 = errno;
      if (e2 != EINVAL && e2 != ENOSYS)
        throw std::runtime_error("cannot replace the package " + out_ + " with " + dir_ + ": " + err_text(e2));
      // A file system without RENAME_EXCHANGE: the old folder aside, then the new one in
      // (a reader in between finds no package, never a broken one).
      const std::string aside = dir_ + ".old";
      if (::rename(out_.c_str(), aside.c_str()) != 0 || ::rename(dir_.c_str(), out_.c_str()) != 0)
        throw std::runtime_error("cannot replace the package " + out_ + ": " + err_text(errno));
      std::error_code ec;
      fs::remove_all(aside, ec);
      published_ = true;
      sync_folder(fs::path(out_).parent_path().string());
      return;
    }
    published_ = true;
    std::error_code ec;
    fs::remove_all(dir_, ec);  // the old package
  }
  published_ = true;
  sync_folder(fs::path(out_).parent_path().string());
}

void write_bytes_synced(const std::string& path, const std::vector<uint8_t>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(path + ": cannot create: " + err_text(errno));
  if (const int e = write_fully(fd, bytes.data(), bytes.size()); e != 0) {
    ::close(fd);
    throw std::runtime_error(path + ": write failed: " + err_text(e));
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error(path + ": cannot flush to disk: " + err_text(e));
  }
  if (::close(fd) != 0) throw std::runtime_error(path + ": write failed on close: " + err_text(errno));
}

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open to flush: " + err_text(errno));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error(path + ": cannot flush to disk: " + err_text(e));
}

}  // namespace micronet::compiler
