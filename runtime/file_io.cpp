#include "runtime/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime/tensor.h"

namespace micronet {

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  // A directory opens fine as an ifstream on Linux and then reads garbage sizes.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw FormatError(path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open: " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw FormatError(path + ": cannot determine the file size");
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw FormatError(path + ": read failed");
  return bytes;
}

void write_file_atomic(const std::string& path,
                       const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw FormatError(path + ": cannot create '" + tmp + "': " + std::strerror(errno));
      write(out);
      out.flush();
      if (!out) throw FormatError(path + ": write failed");
      out.close();
      if (out.fail()) throw FormatError(path + ": write failed on close");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw FormatError(path + ": cannot rename '" + tmp + "' into place: " +
                        std::strerror(errno));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace micronet
