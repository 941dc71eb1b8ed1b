// A pickle VM that reads what torch.save writes for a state_dict (protocol 2, plus the
// few protocol-4 opcodes) and nothing more. Globals are checked against a whitelist the
// moment they are named, before any call; nothing from the file is ever executed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/tensor.h"

namespace micronet {

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
  Tensor tensor;  // Tensor; Storage: dtype and bytes of the whole storage (shape empty)

  const char* kind_name() const;
  // Dict lookup by string key; nullptr when absent.
  const PickleValue* get(const std::string& key) const;
};

// Returns the bytes of the storage named `key` (torch writes it as <archive>/data/<key>).
using StorageLoader = std::function<std::vector<uint8_t>(const std::string& key)>;

// Runs `pickle` and returns the object STOP leaves. Forbidden globals, unsupported
// opcodes and malformed streams throw FormatError naming `source`.
PickleRef unpickle_restricted(const std::vector<uint8_t>& pickle, const StorageLoader& load,
                              const std::string& source);

}  // namespace micronet
