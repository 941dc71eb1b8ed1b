#include "formats/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <streambuf>
#include <thread>

#include "formats/tensor.h"

namespace micronet {

namespace fs = std::filesystem;

namespace {

std::string err_text(int e) { return std::strerror(e); }

// "--output" for "output" too, so messages read like the command line either way.
std::string flag_name(const std::string& flag) {
  return flag.rfind('-', 0) == 0 ? flag : "--" + flag;
}

// An output streambuf over a file descriptor. std::ofstream cannot fsync, cannot open a
// file exclusively with the umask-derived mode and hides errno; this keeps the first one.
class FdOutBuf : public std::streambuf {
 public:
  explicit FdOutBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n < std::streamsize(sizeof buf_)) return std::streambuf::xsputn(s, n);
    // Tensor payloads go straight to the descriptor instead of through the buffer.
    if (!flush_buffer() || !write_all(s, size_t(n))) return 0;
    return n;
  }
  int sync() override { return flush_buffer() ? 0 : -1; }

 private:
  bool flush_buffer() {
    const bool ok = write_all(pbase(), size_t(pptr() - pbase()));
    setp(buf_, buf_ + sizeof buf_);
    return ok;
  }
  bool write_all(const char* p, size_t n) {
    if (error_) return false;
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      p += w;
      n -= size_t(w);
    }
    return true;
  }

  int fd_;
  int error_ = 0;
  char buf_[1 << 16];
};

// Runs the caller's writer into `fd`; throws FormatError with errno's text on failure.
void stream_into(int fd, const std::string& path,
                 const std::function<void(std::ostream&)>& write) {
  FdOutBuf buf(fd);
  std::ostream out(&buf);
  write(out);
  out.flush();
  if (buf.error()) throw FormatError(path + ": write failed: " + err_text(buf.error()));
  if (!out) throw FormatError(path + ": write failed");
}

enum class Kind {
  Absent,   // nothing there yet: create it
  Regular,  // replace atomically
  Special,  // device, FIFO, socket: write in place
  Alias,    // a /proc magic link (/dev/stdout -> /proc/self/fd/1): write in place
};

struct Target {
  std::string path;  // where the bytes go, symbolic links followed
  Kind kind;
  struct stat st;    // valid for Regular
};

bool is_proc_link(const std::string& p) {
  std::error_code ec;
  const std::string abs = fs::absolute(p, ec).string();
  return !ec && abs.rfind("/proc/", 0) == 0;
}

// Follows symbolic links one hop at a time, so that a dangling link names the file to
// create. Stops at /proc magic links: their readlink text ("pipe:[123]", "/dev/pts/0
// (deleted)") is not always a path, but opening them reaches the descriptor's file.
// `who` starts the error messages.
Target resolve_output(const std::string& path, const std::string& who) {
  std::string p = path;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) return {p, Kind::Absent, {}};
      throw FormatError(who + ": cannot inspect '" + p + "': " + err_text(errno));
    }
    if (S_ISDIR(st.st_mode))
      throw FormatError(who + ": is a folder, not a file; refusing to rename a file over it");
    if (!S_ISLNK(st.st_mode))
      return {p, S_ISREG(st.st_mode) ? Kind::Regular : Kind::Special, st};
    if (is_proc_link(p)) {
      struct stat real {};
      if (::stat(p.c_str(), &real) == 0 && S_ISDIR(real.st_mode))
        throw FormatError(who + ": is a folder, not a file");
      return {p, Kind::Alias, st};
    }
    std::error_code ec;
    fs::path next = fs::read_symlink(p, ec);
    if (ec) throw FormatError(who + ": cannot read the link '" + p + "': " + ec.message());
    if (next.is_relative()) next = fs::path(p).parent_path() / next;
    p = next.string();
  }
  throw FormatError(who + ": too many levels of symbolic links");
}

void write_in_place(const Target& t, const std::string& path,
                    const std::function<void(std::ostream&)>& write) {
  int flags = O_WRONLY | O_CLOEXEC;
  // /dev/stdout redirected to a file (`> f` or `>> f`): append as writing to fd 1 would,
  // instead of overwriting from offset 0 whatever the program already printed.
  struct stat real {};
  if (t.kind == Kind::Alias && ::stat(t.path.c_str(), &real) == 0 && S_ISREG(real.st_mode))
    flags |= O_APPEND;
  // A FIFO blocks here until a reader opens it, just as `>` in a shell does.
  const int fd = ::open(t.path.c_str(), flags);
  if (fd < 0) throw FormatError(path + ": cannot open for writing: " + err_text(errno));
  try {
    stream_into(fd, path, write);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw FormatError(path + ": write failed on close: " + err_text(errno));
}

// Creates `.<name>.XXXXXX.tmp` next to the target with O_EXCL, so concurrent writers never
// share it; mode 0666 lets the kernel apply the umask exactly as for an ordinary new file.
int create_unique_temp(const fs::path& dir, const std::string& name, std::string& tmp,
                       const std::string& path) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   std::hash<std::thread::id>{}(std::this_thread::get_id()) ^
                                   uint64_t(::getpid()) << 32);
  // Keep the temporary's name within NAME_MAX (255) however long the target's name is.
  const std::string stem = name.substr(0, 200);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix(6, 'x');
    for (char& c : suffix) c = kChars[rng() % (sizeof kChars - 1)];
    tmp = (dir / ("." + stem + "." + suffix + ".tmp")).string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST)
      throw FormatError(path + ": cannot create a temporary file in '" + dir.string() +
                        "': " + err_text(errno));
  }
  throw FormatError(path + ": cannot create a unique temporary file in '" + dir.string() + "'");
}

// Makes the rename itself durable; best effort, as some file systems refuse it.
void sync_folder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void replace_atomically(const Target& t, const std::string& path,
                        const std::function<void(std::ostream&)>& write) {
  const fs::path target(t.path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp;
  int fd = create_unique_temp(dir, target.filename().string(), tmp, path);
  try {
    // The replacement keeps the permission bits of the file it replaces.
    if (t.kind == Kind::Regular && ::fchmod(fd, t.st.st_mode & 0777) != 0)
      throw FormatError(path + ": cannot set the permissions of '" + tmp + "': " + err_text(errno));
    stream_into(fd, path, write);
    // Without fsync a crash after the rename can leave an empty file under the old name.
    if (::fsync(fd) != 0) throw FormatError(path + ": cannot flush to disk: " + err_text(errno));
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) throw FormatError(path + ": write failed on close: " + err_text(errno));
    if (::rename(tmp.c_str(), t.path.c_str()) != 0)
      throw FormatError(path + ": cannot rename '" + tmp + "' into place: " + err_text(errno));
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  sync_folder(dir);
}

// What a non-regular file is, for messages.
std::string kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// Turns the unterminated last line of the file into a comment line by overwriting its first
// byte with `comment` (the file's own comment character): a record torn by a dead writer
// stays visible, and no reader fails on it once more lines follow it. O_APPEND descriptors
// ignore pwrite's offset, so a second descriptor writes in place.
void comment_out_last_line(int fd, off_t size, char comment) {
  const off_t from = std::max<off_t>(0, size - off_t(64 << 10));
  std::vector<char> tail(size_t(size - from));
  if (::pread(fd, tail.data(), tail.size(), from) != ssize_t(tail.size())) return;
  size_t start = tail.size();
  while (start > 0 && tail[start - 1] != '\n') --start;
  if (start == tail.size()) return;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const int rw = ::open(path, O_WRONLY | O_CLOEXEC);
  if (rw < 0) return;
  (void)::pwrite(rw, &comment, 1, from + off_t(start));
  ::close(rw);
}

}  // namespace

bool regular_file_or_absent(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw FormatError(path + ": cannot open: " + err_text(errno));
  }
  if (!S_ISREG(st.st_mode)) throw FormatError(path + ": is " + kind_of(st.st_mode) + ", not a regular file");
  return true;
}

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO without a writer would block forever; a regular file ignores it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw FormatError(path + ": cannot open: " + err_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw FormatError(path + ": cannot inspect: " + err_text(errno));
  // A device (/dev/zero) or FIFO has no size and may never end: refused before reading.
  if (!S_ISREG(st.st_mode)) throw FormatError(path + ": is " + kind_of(st.st_mode) + ", not a regular file");
  const uint64_t size = uint64_t(st.st_size);
  if (size > max_bytes)
    throw FormatError(path + ": is " + std::to_string(size) + " bytes, over the limit of " +
                      std::to_string(max_bytes) + " for this kind of file");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw FormatError(path + ": read failed: " + err_text(errno));
    if (n == 0) throw FormatError(path + ": the file shrank while it was read (" + std::to_string(done) + " of " +
                                  std::to_string(size) + " bytes)");
    done += size_t(n);
  }
  return bytes;
}

int write_fully(int fd, const void* data, size_t n, size_t* written) {
  const char* p = static_cast<const char*>(data);
  size_t done = 0;
  int error = 0;
  while (done < n) {
    const ssize_t w = ::write(fd, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error = w < 0 ? errno : ENOSPC;
      break;
    }
    done += size_t(w);
  }
  if (written) *written = done;
  return error;
}

bool getline_bounded(std::istream& in, std::string& line, size_t max) {
  line.clear();
  std::streambuf* sb = in.rdbuf();
  bool any = false;
  for (;;) {
    const int c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return any;
    }
    any = true;
    if (c == '\n') return true;
    if (line.size() <= max) line.push_back(char(c));
  }
}

void append_line_whole(const std::string& path, const std::string& record, char comment) {
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) throw FormatError(path + ": cannot open for appending: " + err_text(errno));
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw FormatError(path + ": cannot inspect: " + err_text(errno));
  if (!S_ISREG(st.st_mode)) throw FormatError(path + ": is " + kind_of(st.st_mode) + ", not a regular file");
  // A file whose last line was cut short (by an older writer, or a kill mid-write): end it
  // first, so the torn line stays one line of its own instead of swallowing this record.
  std::string line = record;
  char last = '\n';
  if (st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
    line.insert(0, 1, '\n');
    if (comment) comment_out_last_line(fd, st.st_size, comment);
  }
  // Reserve the blocks past the end first: a full disk fails here, before a byte is written.
  // (Not every file system can; then a short write below is cut back instead.)
  if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, off_t(line.size())) != 0 &&
      (errno == ENOSPC || errno == EDQUOT || errno == EFBIG))
    throw FormatError(path + ": cannot append a record: " + err_text(errno));
  size_t done = 0;
  if (const int e = write_fully(fd, line.data(), line.size(), &done); e != 0) {
    if (done > 0) {
      // Our partial line ends at the current offset; cut it off unless another writer
      // appended after it (then the torn line stays, and readers skip a torn last line).
      const off_t end = ::lseek(fd, 0, SEEK_CUR);
      struct stat now {};
      if (end >= off_t(done) && ::fstat(fd, &now) == 0 && now.st_size == end)
        (void)::ftruncate(fd, end - off_t(done));
    }
    throw FormatError(path + ": cannot append a record: " + err_text(e));
  }
  const int rc = ::close(fd);
  closer.fd = -1;
  if (rc != 0) throw FormatError(path + ": cannot append a record: " + err_text(errno));
}

void write_file_atomic(const std::string& path,
                       const std::function<void(std::ostream&)>& write) {
  if (path.empty()) throw FormatError("cannot write a file with an empty name");
  const Target t = resolve_output(path, path);
  if (t.kind == Kind::Special || t.kind == Kind::Alias)
    write_in_place(t, path, write);
  else
    replace_atomically(t, path, write);
}

void check_output_location(const std::string& path, const std::string& flag) {
  const std::string f = flag_name(flag);
  if (path.empty()) throw FormatError(f + ": the output path is empty");
  const std::string who = f + " '" + path + "'";
  const Target t = resolve_output(path, who);
  if (t.kind == Kind::Special || t.kind == Kind::Alias) {
    if (::access(t.path.c_str(), W_OK) != 0)
      throw FormatError(who + ": is not writable: " + err_text(errno));
    return;
  }
  // The file is replaced by a rename, so what matters is its folder.
  const fs::path target(t.path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) throw FormatError(who + ": folder '" + dir.string() + "' does not exist");
    throw FormatError(who + ": cannot inspect folder '" + dir.string() + "': " + err_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) throw FormatError(who + ": '" + dir.string() + "' is not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw FormatError(who + ": folder '" + dir.string() + "' is not writable: " + err_text(errno));
}

void require_not_same_file(const std::string& out, const std::string& in,
                           const std::string& out_flag, const std::string& in_flag) {
  struct stat si {};
  if (::stat(in.c_str(), &si) != 0 || !S_ISREG(si.st_mode)) return;
  bool same = false;
  struct stat so {};
  if (::stat(out.c_str(), &so) == 0) same = so.st_dev == si.st_dev && so.st_ino == si.st_ino;
  if (!same) {
    std::error_code e1, e2;
    const fs::path a = fs::weakly_canonical(out, e1), b = fs::weakly_canonical(in, e2);
    same = !e1 && !e2 && a == b;
  }
  if (same)
    throw FormatError(flag_name(out_flag) + " '" + out + "' and " + flag_name(in_flag) + " '" +
                      in + "' are the same file: writing the output would destroy the input");
}

std::string file_identity(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace micronet
