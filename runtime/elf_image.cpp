#include "runtime/elf_image.h"

#include <elf.h>
#include <link.h>

#include <algorithm>
#include <cstring>

namespace micronet {

namespace {

using Ehdr = ElfW(Ehdr);
using Phdr = ElfW(Phdr);
using Shdr = ElfW(Shdr);
using Sym = ElfW(Sym);

#if defined(__x86_64__)
constexpr int kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr int kMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr int kMachine = EM_386;
#elif defined(__arm__)
constexpr int kMachine = EM_ARM;
#else
constexpr int kMachine = -1;  // unknown host: the machine is not checked
#endif

// [off, off + len) inside [0, size), without overflow.
bool within(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

template <typename T>
T read_at(const uint8_t* data, uint64_t off) {
  T v;
  std::memcpy(&v, data + off, sizeof v);  // the file gives no alignment guarantee
  return v;
}

}  // namespace

ElfImage::ElfImage(const uint8_t* data, size_t size) : data_(data), size_(size) {
  if (size < sizeof(Ehdr) || std::memcmp(data, ELFMAG, SELFMAG) != 0) throw ElfError("not an ELF file");
  const Ehdr eh = read_at<Ehdr>(data, 0);
  const int native_class = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
  const int native_data = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
  if (eh.e_ident[EI_CLASS] != native_class) throw ElfError("an ELF file of another word size than this machine's");
  if (eh.e_ident[EI_DATA] != native_data) throw ElfError("an ELF file of another byte order than this machine's");
  if (eh.e_type != ET_DYN) throw ElfError("an ELF file that is not a shared library");
  if (kMachine >= 0 && eh.e_machine != kMachine)
    throw ElfError("an ELF library for another machine (e_machine " + std::to_string(eh.e_machine) + ")");

  // Program headers: what the loader maps. Every segment's file part must lie in the file
  // (a truncated library mapped past its end raised SIGBUS on first touch).
  if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum == 0 || eh.e_phnum >= PN_XNUM)
    throw ElfError("bad program header table (entry size or count)");
  if (!within(eh.e_phoff, uint64_t(eh.e_phnum) * sizeof(Phdr), size))
    throw ElfError("the program header table extends past the end of the file");
  phoff_ = eh.e_phoff;
  phnum_ = eh.e_phnum;
  bool loads = false;
  for (uint64_t i = 0; i < phnum_; ++i) {
    const Phdr ph = read_at<Phdr>(data, phoff_ + i * sizeof(Phdr));
    const std::string which = "program header " + std::to_string(i);
    if (!within(ph.p_offset, ph.p_filesz, size))
      throw ElfError(which + " extends past the end of the file (truncated library?)");
    if (ph.p_type == PT_LOAD) {
      loads = true;
      if (ph.p_filesz > ph.p_memsz) throw ElfError(which + ": file size larger than memory size");
      if (ph.p_memsz > (uint64_t(1) << 32)) throw ElfError(which + ": a segment of more than 4 GiB");
    }
  }
  if (!loads) throw ElfError("no loadable segment");

  // Section headers: not used by the loader, but they locate the dynamic symbol table the
  // identity strings are found by.
  if (eh.e_shoff == 0 || eh.e_shnum == 0) throw ElfError("no section headers (a stripped library?)");
  if (eh.e_shentsize != sizeof(Shdr) || eh.e_shnum >= SHN_LORESERVE)
    throw ElfError("bad section header table (entry size or count)");
  if (!within(eh.e_shoff, uint64_t(eh.e_shnum) * sizeof(Shdr), size))
    throw ElfError("the section header table extends past the end of the file (truncated library?)");
  for (uint64_t i = 0; i < eh.e_shnum; ++i) {
    const Shdr sh = read_at<Shdr>(data, eh.e_shoff + i * sizeof(Shdr));
    if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && !within(sh.sh_offset, sh.sh_size, size))
      throw ElfError("section " + std::to_string(i) + " extends past the end of the file (truncated library?)");
    if (sh.sh_type != SHT_DYNSYM) continue;
    if (sh.sh_entsize != sizeof(Sym) || sh.sh_link == 0 || sh.sh_link >= eh.e_shnum)
      throw ElfError("bad dynamic symbol table");
    const Shdr str = read_at<Shdr>(data, eh.e_shoff + uint64_t(sh.sh_link) * sizeof(Shdr));
    if (str.sh_type != SHT_STRTAB || !within(str.sh_offset, str.sh_size, size))
      throw ElfError("bad dynamic string table");
    dynsym_off_ = sh.sh_offset;
    dynsym_count_ = sh.sh_size / sizeof(Sym);
    dynstr_off_ = str.sh_offset;
    dynstr_size_ = str.sh_size;
  }
  if (dynsym_count_ == 0) throw ElfError("no dynamic symbol table");
}

ElfImage::Symbol ElfImage::symbol(const std::string& name) const {
  for (uint64_t i = 1; i < dynsym_count_; ++i) {
    const Sym s = read_at<Sym>(data_, dynsym_off_ + i * sizeof(Sym));
    if (s.st_name >= dynstr_size_ || s.st_shndx == SHN_UNDEF) continue;
    const char* n = reinterpret_cast<const char*>(data_ + dynstr_off_ + s.st_name);
    const size_t room = size_t(dynstr_size_ - s.st_name);
    if (name.size() >= room || std::memcmp(n, name.c_str(), name.size() + 1) != 0) continue;
    // Its bytes: the file part of the loaded segment that holds it.
    for (uint64_t p = 0; p < phnum_; ++p) {
      const Phdr ph = read_at<Phdr>(data_, phoff_ + p * sizeof(Phdr));
      if (ph.p_type != PT_LOAD || s.st_value < ph.p_vaddr) continue;
      const uint64_t rel = s.st_value - ph.p_vaddr;
      if (!within(rel, s.st_size, ph.p_filesz)) continue;
      return Symbol{data_ + ph.p_offset + rel, s.st_size, s.st_value};
    }
    throw ElfError("symbol " + name + " lies outside the file's loaded segments");
  }
  return {};
}

std::string ElfImage::string_symbol(const std::string& name, size_t max) const {
  const Symbol s = symbol(name);
  if (!s.bytes) throw ElfError("no symbol " + name);
  const size_t n = size_t(std::min<uint64_t>(s.size, max + 1));
  const void* nul = std::memchr(s.bytes, 0, n);
  if (!nul) throw ElfError("symbol " + name + " is not a string of at most " + std::to_string(max) + " bytes");
  return std::string(reinterpret_cast<const char*>(s.bytes), static_cast<const uint8_t*>(nul) - s.bytes);
}

}  // namespace micronet
