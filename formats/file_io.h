// Whole-file reads and all-or-nothing writes shared by the weight formats, plus the
// up-front checks commands run on their output paths.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace micronet {

// Throws FormatError naming `path` when it cannot be opened or read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

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
