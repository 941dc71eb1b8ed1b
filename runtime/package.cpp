#include "runtime/package.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "HalideRuntime.h"
#include "models/config_json.h"
#include "formats/file_io.h"
#include "formats/json_lite.h"
#include "formats/sha256.h"
#include "formats/safetensors.h"
#include "formats/tensor.h"
#include "runtime/elf_image.h"
#include "runtime/package_manifest.h"
#include "support/targets.h"

#ifndef MICRONET_PROJECT_VERSION
#define MICRONET_PROJECT_VERSION "unknown"
#endif

namespace micronet {

const char* package_runtime_version() { return MICRONET_PROJECT_VERSION; }

namespace {

// Promotes the object holding this runtime (a Python extension module is loaded
// RTLD_LOCAL) to the global scope, so a package's halide_* references resolve to it.
// Executables export theirs (ENABLE_EXPORTS), for which this does nothing.
void export_halide_runtime() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&halide_malloc), &info) && info.dli_fname) {
    if (void* h = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL)) (void)h;  // kept open on purpose
  }
}

std::string err_text(int e) { return std::strerror(e); }

// A package file read once: a regular file (not a symbolic link: a package holds its own
// files, and a link could name anything, /dev/zero or a file elsewhere), opened without
// blocking (a FIFO never hangs), of exactly `want` bytes (checked before reading).
std::vector<uint8_t> read_package_file(const std::string& path, const std::string& what, int64_t want) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) throw PackageError(path + ": " + what + " is a symbolic link; a package holds its own files");
    throw PackageError(path + ": " + what + " is missing or unreadable: " + err_text(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw PackageError(path + ": cannot inspect: " + err_text(errno));
  if (!S_ISREG(st.st_mode)) throw PackageError(path + ": " + what + " is not a regular file (a FIFO or device?)");
  if (int64_t(st.st_size) != want)
    throw PackageError(path + " is " + std::to_string(st.st_size) + " bytes, the manifest records " + std::to_string(want) +
                       " (truncated or replaced): recompile the package");
  std::vector<uint8_t> bytes(size_t(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw PackageError(path + ": read failed (" + (n < 0 ? err_text(errno) : "the file shrank") + ")");
    done += size_t(n);
  }
  return bytes;
}

// A loaded library, by the SHA-256 of its bytes: the same library opened from another
// folder (a copied package) reuses the mapping instead of loading another copy, which stays
// for the life of the process. `fd` is its sealed private copy, kept open: the loader knows
// the library by the name "/proc/self/fd/N", which must stay unique.
struct LoadedLibrary {
  void* handle = nullptr;
  int fd = -1;
};
std::mutex& libraries_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, LoadedLibrary>& loaded_libraries() {
  static auto* m = new std::map<std::string, LoadedLibrary>();  // never destroyed: libraries stay loaded
  return *m;
}

// The verified bytes in a private file nobody else can change: a sealed memfd (a private
// temporary file where memfd_create is missing). Returns its descriptor.
int private_copy(const std::vector<uint8_t>& bytes, const std::string& lib) {
  int fd = ::memfd_create("micronet-package", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  const bool sealable = fd >= 0;
  if (fd < 0) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/micronet-package-XXXXXX";
    fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) throw PackageError("cannot load " + lib + ": no private copy (" + err_text(errno) + ")");
    ::unlink(tmpl.c_str());  // the descriptor keeps it; nobody else can open it
  }
  if (const int e = write_fully(fd, bytes.data(), bytes.size()); e != 0) {
    ::close(fd);
    throw PackageError("cannot load " + lib + ": writing its private copy failed: " + err_text(e));
  }
  if (sealable) (void)::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

// The loader knows an object by its name first: were an earlier library still loaded under
// "/proc/self/fd/N" (one whose unload was refused), dlopen would hand back that one. Move
// the copy to a descriptor number no loaded object is named after.
std::string unused_fd_name(int& fd) {
  for (int tries = 0; tries < 64; ++tries) {
    const std::string name = "/proc/self/fd/" + std::to_string(fd);
    void* old = dlopen(name.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (!old) return name;
    dlclose(old);
    const int next = ::fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
    if (next < 0) break;
    ::close(fd);
    fd = next;
  }
  throw PackageError("cannot load a package library: no free descriptor name");
}

// The loaded segments of the object at `base` (its l_addr): every pointer of the entry
// table must lie in them.
struct Segments {
  uintptr_t base = 0;
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges, exec;  // [begin, end)
};
int collect_segments(struct dl_phdr_info* info, size_t, void* data) {
  auto* s = static_cast<Segments*>(data);
  if (info->dlpi_addr != s->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const uintptr_t b = info->dlpi_addr + ph.p_vaddr;
    s->ranges.emplace_back(b, b + ph.p_memsz);
    if (ph.p_flags & PF_X) s->exec.emplace_back(b, b + ph.p_memsz);
  }
  return 1;
}
// The bytes from `p` to the end of the segment holding [p, p + n), 0 when none holds it.
size_t room_in(const std::vector<std::pair<uintptr_t, uintptr_t>>& ranges, const void* p, size_t n) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  for (const auto& [b, e] : ranges)
    if (a >= b && a < e && n <= e - a) return e - a;
  return 0;
}

}  // namespace

std::shared_ptr<const ModelPackage> ModelPackage::open(const std::string& dir, const std::string& expect_manifest_sha256) {
  const std::string manifest_path = dir + "/" + kPackageManifest;
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw PackageError(dir + ": not a package folder (no such directory)");
  if (lstat(manifest_path.c_str(), &st) != 0)
    throw PackageError(dir + ": not a package (no " + kPackageManifest + "; make one with `micronet compile`)");
  std::vector<uint8_t> manifest_bytes;
  try {
    manifest_bytes = read_file_bytes(manifest_path, kMaxManifestBytes);  // regular files only, bounded
  } catch (const std::exception& e) {
    throw PackageError(manifest_path + ": unreadable manifest: " + e.what());
  }
  // The caller's trust anchor first: nothing of another package is looked at further.
  if (!expect_manifest_sha256.empty()) {
    std::string want = expect_manifest_sha256;
    for (char& c : want) c = char(std::tolower(static_cast<unsigned char>(c)));
    const std::string got = sha256_hex(manifest_bytes.data(), manifest_bytes.size());
    if (got != want)
      throw PackageError(manifest_path + " has SHA-256 " + got + ", not the expected " + printable(want) +
                         ": not the package you trusted (refused before loading anything)");
  }
  const PackageManifest man = parse_package_manifest(std::string(manifest_bytes.begin(), manifest_bytes.end()),
                                                     manifest_path, package_runtime_version());

  std::shared_ptr<ModelPackage> p(new ModelPackage());
  p->dir_ = dir;
  p->halide_target_ = man.halide_target;
  p->device_api_ = man.device_api;
  p->config_ = man.config;
  p->input_h_ = man.input_h;
  p->input_w_ = man.input_w;
  p->classes_ = man.classes;
  p->kernel_names_ = man.kernels;
  if (man.has_weights) {
    p->weights_ = dir + "/" + kPackageWeights;
    p->weights_sha256_ = man.weights_sha256;
    p->weights_bytes_ = man.weights_bytes;
    if (lstat(p->weights_.c_str(), &st) != 0)
      throw PackageError(dir + ": the manifest names weights " + kPackageWeights + ", which are missing");
    if (!S_ISREG(st.st_mode))
      throw PackageError(p->weights_ + ": not a regular file (a symbolic link, FIFO or device); a package holds its own files");
  }

  // The library must be the one the manifest describes, byte for byte, before any of its
  // code runs (dlopen runs initializers). It is read once; the same bytes are hashed,
  // checked as ELF and loaded (a file swapped after the hash changes nothing).
  const std::string lib = dir + "/" + kPackageLibrary;
  const std::vector<uint8_t> bytes = read_package_file(lib, kPackageLibrary, man.library_bytes);
  const std::string sha = sha256_hex(bytes.data(), bytes.size());
  if (sha != man.library_sha256)
    throw PackageError(lib + " has SHA-256 " + sha + ", the manifest records " + man.library_sha256 +
                       " (the library was edited or corrupted): recompile the package");

  // What the library was compiled as, against what the manifest says, read from the file:
  // a mismatch is refused before the library is loaded.
  const int count = int(man.kernels.size());
  try {
    const ElfImage elf(bytes.data(), bytes.size());
    auto same = [&](const char* symbol, const std::string& manifest_value, const char* what) {
      const std::string lib_value = elf.string_symbol(symbol, 4096);
      if (lib_value != manifest_value)
        throw PackageError(manifest_path + " does not match " + kPackageLibrary + ": its " + what + " is '" +
                           printable(manifest_value) + "', the library was compiled with '" + printable(lib_value) +
                           "' (the manifest was edited)");
    };
    same("micronet_package_format", man.format, "format");
    same("micronet_package_version", man.project_version, "project_version");
    same("micronet_package_halide_target", man.halide_target, "halide_target");
    const std::string cfg_json = config_to_json(man.config);
    same("micronet_package_config_sha256", sha256_hex(cfg_json.data(), cfg_json.size()),
         "config (SHA-256 of its canonical JSON)");
    const ElfImage::Symbol n = elf.symbol("micronet_package_entry_count");
    if (!n.bytes || n.size != sizeof(int)) throw ElfError("no entry count (micronet_package_entry_count)");
    int lib_count = 0;
    std::memcpy(&lib_count, n.bytes, sizeof lib_count);
    if (lib_count != count)
      throw PackageError(manifest_path + " does not match " + kPackageLibrary + ": it lists " + std::to_string(count) +
                         " kernels, the library's entry table declares " + std::to_string(lib_count) +
                         " (the manifest was edited)");
    const ElfImage::Symbol table = elf.symbol("micronet_package_entries");
    if (!table.bytes || table.size != uint64_t(count) * sizeof(KernelEntry))
      throw ElfError("the entry table (micronet_package_entries) is not " + std::to_string(count) + " entries long");
  } catch (const ElfError& e) {
    throw PackageError(lib + ": not a micronet package library: " + e.what());
  }

  std::lock_guard<std::mutex> lock(libraries_mutex());
  auto loaded = loaded_libraries().find(sha);
  const bool reused = loaded != loaded_libraries().end();
  LoadedLibrary l;
  if (reused) {
    l = loaded->second;
  } else {
    export_halide_runtime();
    l.fd = private_copy(bytes, lib);
    std::string self;
    try {
      self = unused_fd_name(l.fd);
    } catch (...) {
      ::close(l.fd);
      throw;
    }
    l.handle = dlopen(self.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!l.handle && ::access("/proc/self/fd", F_OK) != 0) {
      // No /proc (some sandboxes): the same verified bytes from a folder only this user can
      // write, named after their digest (a name is never reused for other bytes).
      const char* tmpdir = std::getenv("TMPDIR");
      std::string folder = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/micronet-package-" +
                           sha.substr(0, 16) + "-XXXXXX";
      if (::mkdtemp(folder.data())) {
        const std::string copy = folder + "/" + kPackageLibrary;
        const int fd = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0500);
        const bool written = fd >= 0 && ::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size());
        if (fd >= 0) ::close(fd);
        if (written) l.handle = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
        ::unlink(copy.c_str());
        ::rmdir(folder.c_str());
      }
    }
    if (!l.handle) {
      const char* err = dlerror();  // once: a second call returns null
      const std::string why = err ? err : "cannot map the private copy";
      ::close(l.fd);
      throw PackageError("cannot load " + lib + ": " + why);
    }
  }
  // The entry table as loaded: inside the library's own segments, every name a string
  // there, every function in an executable segment (checked before any entry is used).
  auto refuse = [&](const std::string& why) -> PackageError {
    if (!reused) {
      dlclose(l.handle);
      ::close(l.fd);
    }
    return PackageError(lib + ": " + why + ": not a valid micronet package library");
  };
  Segments seg;
  struct link_map* map = nullptr;
  if (dlinfo(l.handle, RTLD_DI_LINKMAP, &map) != 0 || !map) throw refuse("no link map");
  seg.base = map->l_addr;
  dl_iterate_phdr(collect_segments, &seg);
  const auto* lib_count = static_cast<const int*>(dlsym(l.handle, "micronet_package_entry_count"));
  const auto* entries = static_cast<const KernelEntry*>(dlsym(l.handle, "micronet_package_entries"));
  if (!lib_count || !entries || !room_in(seg.ranges, lib_count, sizeof(int)) ||
      !room_in(seg.ranges, entries, sizeof(KernelEntry) * size_t(count)))
    throw refuse("the entry table lies outside the library");
  if (*lib_count != count) throw refuse("the entry count changed when loaded");
  for (int i = 0; i < count; ++i) {
    const KernelEntry& e = entries[i];
    const size_t room = e.name ? room_in(seg.ranges, e.name, 1) : 0;
    if (!room) throw refuse("entry " + std::to_string(i) + " has no name in the library");
    const size_t len = strnlen(e.name, std::min<size_t>(room, 256));
    if (len == std::min<size_t>(room, 256)) throw refuse("entry " + std::to_string(i) + "'s name is not a short string");
    if (!e.argv || !e.metadata || !room_in(seg.exec, reinterpret_cast<const void*>(e.argv), 1) ||
        !room_in(seg.exec, reinterpret_cast<const void*>(e.metadata), 1))
      throw refuse("entry " + std::to_string(i) + " has a function pointer outside the library's code");
  }
  std::vector<std::string> lib_names;
  for (int i = 0; i < count; ++i) lib_names.push_back(entries[i].name);
  if (lib_names != p->kernel_names_) {
    std::string lib_list, man_list;
    for (const std::string& n : lib_names) lib_list += " " + printable(n);
    for (const std::string& n : p->kernel_names_) man_list += " " + printable(n);
    if (!reused) {
      dlclose(l.handle);
      ::close(l.fd);
    }
    throw PackageError(manifest_path + " does not match " + kPackageLibrary + ": its kernels are" + man_list +
                       "; the library holds" + lib_list + " (the manifest was edited)");
  }
  for (int i = 0; i < count; ++i) p->entries_[entries[i].name] = entries[i];
  if (!reused) loaded_libraries()[sha] = l;
  p->handle_ = l.handle;
  return p;
}

TensorMap ModelPackage::read_weights(std::map<std::string, std::string>* metadata) const {
  if (weights_.empty()) throw PackageError(dir_ + ": the package has no weights");
  const std::vector<uint8_t> bytes = read_package_file(weights_, kPackageWeights, weights_bytes_);
  const std::string sha = sha256_hex(bytes.data(), bytes.size());
  if (sha != weights_sha256_)
    throw PackageError(weights_ + " has SHA-256 " + sha + ", the manifest records " + weights_sha256_ +
                       " (the weights were edited or replaced): recompile the package");
  return read_safetensors_bytes(bytes, weights_, metadata);
}

// The library stays loaded: the Halide runtime may keep pointers into it (GPU module
// state, pipeline names in traces) past the model's life.
ModelPackage::~ModelPackage() = default;

const KernelEntry* ModelPackage::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string ModelPackage::describe() const { return "package " + dir_ + " (" + halide_target_ + ")"; }

}  // namespace micronet
