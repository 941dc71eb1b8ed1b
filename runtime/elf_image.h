// A package library (`kernels.so`) checked as an ELF file in memory before the dynamic
// loader sees it: the loader trusts the file's own sizes, so a truncated library mapped past
// its end raised SIGBUS, and a library whose segments or tables point outside the file could
// crash it. ElfImage validates the header, every program header and section header against
// the file's size, and gives the bytes of a defined dynamic symbol (the package's identity
// strings and entry count), so a library that is not what its manifest says is refused
// before any of its code runs. Native class, byte order and machine only (a package for
// another architecture is refused by its target before this).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace micronet {

struct ElfError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ElfImage {
 public:
  // Throws ElfError saying what is wrong ("program header 3 extends past the end of the
  // file"); `data` must outlive the image.
  ElfImage(const uint8_t* data, size_t size);

  struct Symbol {
    const uint8_t* bytes = nullptr;  // in the file; nullptr when absent or undefined
    uint64_t size = 0;               // st_size, within the file part of one loaded segment
    uint64_t vaddr = 0;              // st_value (relative to the load address)
  };
  // A defined dynamic symbol whose st_size bytes lie in the file part of one PT_LOAD
  // segment; {nullptr, 0} when there is none of that name.
  Symbol symbol(const std::string& name) const;

  // The NUL-terminated string a symbol holds (at most `max` bytes); ElfError when the
  // symbol is absent or holds no terminator within its size.
  std::string string_symbol(const std::string& name, size_t max) const;

 private:
  const uint8_t* data_;
  size_t size_;
  uint64_t dynsym_off_ = 0, dynsym_count_ = 0, dynstr_off_ = 0, dynstr_size_ = 0;
  uint64_t phoff_ = 0, phnum_ = 0;
};

}  // namespace micronet
