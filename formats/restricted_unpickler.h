// A pickle VM that reads what torch.save writes for a state_dict (protocol 2, plus the
// few protocol-4 opcodes) and nothing more. Globals are checked against a whitelist the
// moment they are named, before any call; nothing from the file is ever executed.
//
// Hostile input is bounded: containers nest at most kMaxPickleDepth deep (the value tree
// is freed recursively), a container stops accepting items once it sits inside another
// one (so no cycle can form and every depth is final), the pickle builds at most
// kMaxPickleValues values, and storages plus tensor copies together stay within a byte
// budget checked BEFORE each allocation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "formats/tensor.h"

namespace micronet {

// A state_dict nests ~4 deep ({"state_dict": {key: tensor(args(sizes))}}).
constexpr int kMaxPickleDepth = 64;
// ~25 values per tensor: room for 40k tensors (MicroNet-M3 has under 1k).
constexpr uint64_t kMaxPickleValues = uint64_t(1) << 20;

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

// The values a state_dict pickle can build. Containers are shared because the memo and
// the stack alias the same object while SETITEMS/APPENDS mutate it.
struct PickleValue {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string string;  // String; Global as "module.name"; Storage: its archive key
  std::vector<PickleRef> items;                          // Tuple, List
  std::vector<std::pair<PickleRef, PickleRef>> entries;  // Dict (insertion order)
  std::unordered_map<std::string, size_t> index;         // Dict: string key -> entries slot
  Tensor tensor;  // Tensor; Storage: dtype and bytes of the whole storage (shape empty)
  int depth = 1;         // 1 for a leaf, 1 + the deepest item for a container
  bool inside = false;   // placed inside a container: no longer mutable

  const char* kind_name() const;
  // Dict lookup by string key; nullptr when absent.
  const PickleValue* get(const std::string& key) const;
};

// Returns the bytes of the storage named `key` (torch writes it as <archive>/data/<key>),
// which the pickle says holds `nbytes` bytes. A loader refuses a storage whose declared
// size differs BEFORE allocating for it (the unpickler has already checked `nbytes`
// against its budget).
using StorageLoader = std::function<std::vector<uint8_t>(const std::string& key, uint64_t nbytes)>;

// Runs `pickle` and returns the object STOP leaves. Forbidden globals, unsupported
// opcodes, malformed streams, too deep nesting, cycles and a total of storage bytes plus
// tensor bytes above `max_bytes` throw FormatError naming `source`.
PickleRef unpickle_restricted(const std::vector<uint8_t>& pickle, const StorageLoader& load,
                              const std::string& source, uint64_t max_bytes = UINT64_MAX);

}  // namespace micronet
