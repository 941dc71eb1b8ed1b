// Whole-file reads and all-or-nothing writes shared by the weight formats, plus the
// up-front checks commands run on their output paths.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <istream>
#include <string>
#include <vector>

namespace micronet {

// The largest file read_file_bytes reads unless told otherwise: weights and checkpoints
// (MicroNet-M3's are ~50 MB) with room to spare.
constexpr uint64_t kMaxReadFileBytes = uint64_t(2) << 30;

// The whole file. Throws FormatError naming `path` when it cannot be opened or read, when
// it is not a regular file (a FIFO, a device such as /dev/zero, a socket, a folder: such
// "files" never end or block forever; it is opened non-blocking, so a FIFO without a writer
// does not hang either), or when it is larger than `max_bytes` (checked before reading).
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes = kMaxReadFileBytes);

// Throws FormatError naming `path` unless it is absent (returns false) or a regular file
// (returns true), without opening it: for readers that stream (line by line) and for
// "missing = empty" files.
bool regular_file_or_absent(const std::string& path);

// Appends `line` (which ends with a newline) to `path`, creating the file (mode 0644 & ~umask),
// as one whole record or nothing: the space is reserved first (fallocate), the line goes in
// one O_APPEND write (concurrent appenders never interleave inside a line), and a write cut
// short (a full disk where the file system cannot reserve) is cut back off the file when no
// other writer appended after it. Throws FormatError naming the file and errno's text.
// Refuses a `path` that exists and is not a regular file. A file that does not end with a
// newline (a line torn by a writer killed mid-line) gets one first, so the torn line stays
// separate; with `comment` (the format's comment character, '#' for JSON lines) that line's
// first byte becomes it, so readers skip it from then on instead of failing on it.
void append_line_whole(const std::string& path, const std::string& line, char comment = 0);

// Writes all `n` bytes to `fd`, retrying on EINTR and short writes. Returns 0, or the errno of
// the failure (ENOSPC when a write makes no progress); `*written` (optional) then holds how
// many bytes did go out, for a caller that cuts a partial record back off.
int write_fully(int fd, const void* data, size_t n, size_t* written = nullptr);

// std::getline that stores at most `max` + 1 bytes of a line (a longer line then reads as
// max + 1 bytes, so the caller refuses it without holding a gigabyte line in memory). False
// at the end of the stream.
bool getline_bounded(std::istream& in, std::string& line, size_t max);

// Size and modification time of a file ("missing" if it is absent): a cheap identity for
// cache keys that must change when a build replaces the file (generators, tuning files).
std::string file_identity(const std::string& path);

// Writes what `write` streams to `path` so that readers never see a half-written file:
// - a regular file (or an absent one) is replaced atomically: the data goes to a temporary
//   file unique to this writer (`.<name>.XXXXXX.tmp` in the same folder), is fsync'ed and
//   renamed over the old file, whose permission bits it keeps (new files get 0666 & ~umask);
// - a symbolic link is followed and its target written (the link itself stays);
// - anything else that exists (character device such as /dev/null, FIFO, socket, the
//   /dev/stdout descriptor alias) is written directly, streaming: it cannot be replaced.
// On any failure (including an exception from `write`) the temporary file is removed, the
// old file is left as it was, and FormatError (or the callback's exception) propagates.
void write_file_atomic(const std::string& path,
                       const std::function<void(std::ostream&)>& write);

// Throws FormatError naming `flag` (as on the command line, e.g. "--output") and `path`
// when `path` is empty or a directory, or when the folder it would be written in does not
// exist or is not writable. Commands call it before long work so a typo fails at once.
void check_output_location(const std::string& path, const std::string& flag);

// Throws FormatError naming both flags and paths when `out` and `in` are the same file
// (the same inode, or the same canonical path; `out` need not exist yet), so that writing
// the output cannot destroy the input while it is read. Only checked when `in` is a
// regular file: /dev/stdin and /dev/stdout may well share a terminal.
void require_not_same_file(const std::string& out, const std::string& in,
                           const std::string& out_flag, const std::string& in_flag);

}  // namespace micronet
