// write_file_atomic never destroys what is not ours (symbolic links, devices, FIFOs) and
// never mixes two writers; the output checks commands run up front.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "formats/file_io.h"
#include "formats/tensor.h"
#include "tests/formats/test_util.h"

namespace micronet {
namespace {

using testing::ScratchDir;
using testing::slurp;
using testing::spit;

std::function<void(std::ostream&)> writes(const std::string& text) {
  return [text](std::ostream& out) { out << text; };
}

std::string read_text(const std::string& path) {
  const std::vector<uint8_t> b = slurp(path);
  return std::string(b.begin(), b.end());
}

// Every name in the folder: a leftover temporary shows up here.
std::vector<std::string> listing(const ScratchDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool is_symlink(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

TEST(FileIo, SymlinkTargetIsWrittenAndTheLinkKept) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.path() / "sub");
  spit(dir / "sub/real.npy", "old");
  std::filesystem::create_symlink("sub/real.npy", dir.path() / "link.npy");
  write_file_atomic(dir / "link.npy", writes("new"));
  EXPECT_TRUE(is_symlink(dir / "link.npy"));
  EXPECT_EQ(read_text(dir / "sub/real.npy"), "new");
  // The temporary lived next to the target and is gone.
  EXPECT_EQ(listing(dir), (std::vector<std::string>{"link.npy", "sub"}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "sub"), {}), 1);

  // A dangling link names the file to create; a chain of links is followed to its end.
  std::filesystem::create_symlink("made.npy", dir.path() / "dangling.npy");
  std::filesystem::create_symlink("dangling.npy", dir.path() / "chain.npy");
  write_file_atomic(dir / "chain.npy", writes("made"));
  EXPECT_TRUE(is_symlink(dir / "dangling.npy"));
  EXPECT_TRUE(is_symlink(dir / "chain.npy"));
  EXPECT_EQ(read_text(dir / "made.npy"), "made");
}

TEST(FileIo, SymlinkLoopIsAClearError) {
  ScratchDir dir;
  std::filesystem::create_symlink("b", dir.path() / "a");
  std::filesystem::create_symlink("a", dir.path() / "b");
  EXPECT_THROW_MSG(write_file_atomic(dir / "a", writes("x")), FormatError, "symbolic links");
}

TEST(FileIo, DevicesAreWrittenInPlaceNotReplaced) {
  ScratchDir dir;
  // Through a link first: the code before the fix replaced the link, not the device, so this
  // fails safely there instead of replacing /dev/null itself (these tests may run as root).
  std::filesystem::create_symlink("/dev/null", dir.path() / "null_link");
  write_file_atomic(dir / "null_link", writes("discarded"));
  ASSERT_TRUE(is_symlink(dir / "null_link"));
  write_file_atomic("/dev/null", writes("discarded"));
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(listing(dir), (std::vector<std::string>{"null_link"}));

  // Write errors of a device come back with errno's text.
  std::filesystem::create_symlink("/dev/full", dir.path() / "full_link");
  EXPECT_THROW_MSG(write_file_atomic(dir / "full_link", writes(std::string(1 << 17, 'x'))),
                   FormatError, "full_link", "No space left on device");
  EXPECT_TRUE(is_symlink(dir / "full_link"));
}

TEST(FileIo, FifoIsStreamedInto) {
  ScratchDir dir;
  const std::string fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string payload(300000, 'p');  // larger than a pipe's buffer: needs streaming
  // The reader holds the FIFO open read-write: the writer's open() never blocks on it and
  // the test cannot hang; a FIFO that was replaced instead of written times out.
  const int rfd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(rfd, 0);
  std::string got;
  std::thread reader([&] {
    char buf[1 << 16];
    while (got.size() < payload.size()) {
      pollfd p{rfd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      const ssize_t n = ::read(rfd, buf, sizeof buf);
      if (n > 0) got.append(buf, size_t(n));
    }
  });
  write_file_atomic(fifo, writes(payload));
  reader.join();
  ::close(rfd);
  EXPECT_EQ(got, payload);
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(listing(dir), (std::vector<std::string>{"pipe"}));
}

TEST(FileIo, ConcurrentWritersNeverSplice) {
  ScratchDir dir;
  const std::string out = dir / "out.bin";
  constexpr int kWriters = 16;
  // Large enough that each writer needs many write() calls, so sharing a temporary shows.
  constexpr size_t kSize = 128 << 10;
  std::vector<std::string> contents;
  for (int w = 0; w < kWriters; ++w) contents.emplace_back(kSize, char('A' + w));
  for (int round = 0; round < 50; ++round) {
    std::atomic<int> ready{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w)
      threads.emplace_back([&, w] {
        ++ready;
        while (ready < kWriters) std::this_thread::yield();
        try {
          write_file_atomic(out, [&](std::ostream& s) {
            for (size_t at = 0; at < kSize; at += 4096) s.write(&contents[w][at], 4096);
          });
        } catch (const std::exception&) {
          ++failures;
        }
      });
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(failures, 0) << "round " << round;
    const std::string got = read_text(out);
    ASSERT_EQ(got.size(), kSize) << "round " << round;
    ASSERT_EQ(got, std::string(kSize, got[0])) << "round " << round << ": spliced";
    ASSERT_EQ(listing(dir), std::vector<std::string>{"out.bin"}) << "round " << round;
  }
}

TEST(FileIo, FailureMidWriteKeepsTheOldFile) {
  ScratchDir dir;
  const std::string path = dir / "w.npy";
  spit(path, "old contents");
  EXPECT_THROW(write_file_atomic(path,
                                 [](std::ostream& out) {
                                   out << std::string(200000, 'n');
                                   throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  EXPECT_EQ(read_text(path), "old contents");
  EXPECT_EQ(listing(dir), std::vector<std::string>{"w.npy"});

  // A folder where the file should go: refused before anything is written.
  std::filesystem::create_directory(dir.path() / "folder");
  EXPECT_THROW_MSG(write_file_atomic(dir / "folder", writes("x")), FormatError, "folder",
                   "is a folder");
  EXPECT_THROW_MSG(write_file_atomic(dir / "absent/x.npy", writes("x")), FormatError,
                   "absent/x.npy", "No such file or directory");
  EXPECT_EQ(listing(dir), (std::vector<std::string>{"folder", "w.npy"}));
}

TEST(FileIo, PermissionsKeptOnReplaceAndUmaskOnCreate) {
  ScratchDir dir;
  const std::string path = dir / "w.npy";
  spit(path, "old");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  write_file_atomic(path, writes("new"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  // A new file gets 0666 & ~umask, like any file a shell or std::ofstream creates.
  const mode_t old_mask = ::umask(002);
  write_file_atomic(dir / "fresh.npy", writes("x"));
  ::umask(old_mask);
  ASSERT_EQ(::stat((dir / "fresh.npy").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0664u);
}

TEST(FileIo, CheckOutputLocation) {
  ScratchDir dir;
  EXPECT_THROW_MSG(check_output_location("/nonexistent/x", "--output"), FormatError, "--output",
                   "/nonexistent/x", "'/nonexistent' does not exist");
  EXPECT_THROW_MSG(check_output_location(dir.path().string(), "output"), FormatError, "--output",
                   dir.path().string(), "is a folder");
  EXPECT_THROW_MSG(check_output_location("", "--output"), FormatError, "--output", "empty");
  spit(dir / "plain", "x");
  EXPECT_THROW_MSG(check_output_location(dir / "plain/x.npy", "--save"), FormatError, "--save",
                   "plain/x.npy");
  EXPECT_NO_THROW(check_output_location(dir / "new.npy", "--output"));
  EXPECT_NO_THROW(check_output_location("/dev/null", "--output"));
  EXPECT_NO_THROW(check_output_location("relative_name.npy", "--output"));
  if (::geteuid() != 0) {  // root may write anywhere
    std::filesystem::create_directory(dir.path() / "ro");
    ASSERT_EQ(::chmod((dir / "ro").c_str(), 0555), 0);
    EXPECT_THROW_MSG(check_output_location(dir / "ro/x.npy", "--output"), FormatError,
                     "not writable");
  }
}

TEST(FileIo, RequireNotSameFile) {
  ScratchDir dir;
  const std::string in = dir / "in.safetensors";
  spit(in, "weights");
  std::filesystem::create_symlink("in.safetensors", dir.path() / "sym");
  std::filesystem::create_hard_link(in, dir.path() / "hard");
  std::filesystem::create_directory(dir.path() / "d");
  EXPECT_THROW_MSG(require_not_same_file(dir / "sym", in, "--output", "--weights"), FormatError,
                   "--output", "--weights", "same file");
  EXPECT_THROW_MSG(require_not_same_file(dir / "hard", in, "--output", "--weights"), FormatError,
                   "same file");
  EXPECT_THROW_MSG(require_not_same_file(dir / "d/../in.safetensors", in, "--output", "--weights"),
                   FormatError, "same file");
  EXPECT_THROW(require_not_same_file(in, in, "--output", "--weights"), FormatError);
  spit(dir / "other", "other");
  EXPECT_NO_THROW(require_not_same_file(dir / "other", in, "--output", "--weights"));
  EXPECT_NO_THROW(require_not_same_file(dir / "not_yet", in, "--output", "--weights"));
  // Two descriptor aliases on one terminal are not a file to clobber.
  EXPECT_NO_THROW(require_not_same_file("/dev/stdout", "/dev/stdin", "--output", "--input"));
}

}  // namespace
}  // namespace micronet
