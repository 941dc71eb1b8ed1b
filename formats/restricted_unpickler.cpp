#include "formats/restricted_unpickler.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

namespace micronet {

namespace {

using Kind = PickleValue::Kind;

// The only callables and types a torch.save'd state_dict names.
const std::map<std::string, DType>& storage_types() {
  static const std::map<std::string, DType> m = {
      {"torch.FloatStorage", DType::F32},  {"torch.DoubleStorage", DType::F64},
      {"torch.HalfStorage", DType::F16},   {"torch.BFloat16Storage", DType::BF16},
      {"torch.LongStorage", DType::I64},   {"torch.IntStorage", DType::I32},
      {"torch.ShortStorage", DType::I16},  {"torch.CharStorage", DType::I8},
      {"torch.ByteStorage", DType::U8},    {"torch.BoolStorage", DType::Bool},
  };
  return m;
}
const char* const kOrderedDict = "collections.OrderedDict";
const char* const kRebuildTensor = "torch._utils._rebuild_tensor_v2";
const char* const kRebuildParameter = "torch._utils._rebuild_parameter";

bool allowed_global(const std::string& name) {
  return name == kOrderedDict || name == kRebuildTensor || name == kRebuildParameter ||
         storage_types().count(name);
}

// A tensor has at most this many dimensions (PyTorch's own limit is 64 too).
constexpr size_t kMaxRank = 64;

class Machine {
 public:
  Machine(const std::vector<uint8_t>& p, const StorageLoader& load, const std::string& source,
          uint64_t max_bytes)
      : p_(p), load_(load), source_(source), max_bytes_(max_bytes) {}

  PickleRef run() {
    for (;;) {
      if (pos_ >= p_.size()) fail("pickle ends without STOP (truncated?)");
      op_pos_ = pos_;
      const uint8_t op = p_[pos_++];
      if (op == '.') {
        if (stack_.empty()) fail("STOP with an empty stack");
        return stack_.back();
      }
      step(op);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(source_ + ": " + what + " (pickle offset " + std::to_string(op_pos_) + ")");
  }

  const uint8_t* take(uint64_t n) {
    if (n > p_.size() - pos_) fail("pickle truncated inside an opcode argument");
    const uint8_t* at = &p_[pos_];
    pos_ += size_t(n);
    return at;
  }
  uint64_t uint_le(int n) {
    const uint8_t* b = take(uint64_t(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  }
  std::string line() {
    size_t end = pos_;
    while (end < p_.size() && p_[end] != '\n') ++end;
    if (end >= p_.size()) fail("pickle truncated inside GLOBAL");
    std::string s(reinterpret_cast<const char*>(p_.data()) + pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  PickleRef make(Kind k) {
    if (++values_ > kMaxPickleValues)
      fail("pickle builds more than " + std::to_string(kMaxPickleValues) +
           " values; a state_dict needs a few per tensor");
    auto v = std::make_shared<PickleValue>();
    v->kind = k;
    return v;
  }

  // Counts `n` more bytes against the budget before they are allocated.
  void reserve_bytes(uint64_t n, const std::string& what) {
    if (n > max_bytes_ || used_bytes_ > max_bytes_ - n)
      fail(what + " needs " + std::to_string(n) + " bytes, which would bring the checkpoint to " +
           std::to_string(used_bytes_) + " + " + std::to_string(n) + " bytes, over its limit of " +
           std::to_string(max_bytes_) + " bytes (storages and tensor copies together)");
    used_bytes_ += n;
  }

  // Puts `child` inside `container`: the child is frozen from now on, so it can never
  // come to contain its (transitive) container, and the container's depth stays exact.
  void adopt(PickleValue& container, PickleValue& child) {
    if (&container == &child) fail(std::string("a ") + child.kind_name() + " cannot contain itself");
    if (child.depth + 1 > kMaxPickleDepth)
      fail("containers nest deeper than " + std::to_string(kMaxPickleDepth) +
           " levels; a state_dict needs about 4");
    child.inside = true;
    container.depth = std::max(container.depth, child.depth + 1);
  }
  PickleValue& mutable_top(Kind want, const char* op) {
    PickleValue& c = *top();
    if (c.kind != want) fail(std::string(op) + " on a " + c.kind_name());
    if (c.inside)
      fail(std::string(op) + " on a " + c.kind_name() +
           " that already sits inside another container (cycles are not supported)");
    return c;
  }

  void push(PickleRef v) { stack_.push_back(std::move(v)); }
  PickleRef pop() {
    if (stack_.size() <= floor()) fail("pickle stack underflow");
    PickleRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PickleRef& top() {
    if (stack_.size() <= floor()) fail("pickle stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void mark() {
    if (marks_.size() >= size_t(kMaxPickleDepth))
      fail("MARKs nest deeper than " + std::to_string(kMaxPickleDepth) + " levels");
    marks_.push_back(stack_.size());
  }
  std::vector<PickleRef> pop_mark() {
    if (marks_.empty()) fail("pickle pops a MARK that was never pushed");
    std::vector<PickleRef> items(stack_.begin() + std::ptrdiff_t(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }

  PickleRef integer(int64_t i) {
    auto v = make(Kind::Int);
    v->integer = i;
    return v;
  }
  PickleRef string(std::string s) {
    auto v = make(Kind::String);
    v->string = std::move(s);
    return v;
  }
  PickleRef tuple(std::vector<PickleRef> items) {
    auto v = make(Kind::Tuple);
    for (const PickleRef& i : items) adopt(*v, *i);
    v->items = std::move(items);
    return v;
  }

  // Python dicts keep the first position of a key and its last value; string keys are
  // found through the index so that building a dict stays linear.
  void set_item(PickleValue& dict, PickleRef key, PickleRef value) {
    adopt(dict, *key);
    adopt(dict, *value);
    if (key->kind == Kind::String) {
      auto [it, fresh] = dict.index.emplace(key->string, dict.entries.size());
      if (!fresh) {
        dict.entries[it->second].second = std::move(value);
        return;
      }
    }
    dict.entries.emplace_back(std::move(key), std::move(value));
  }
  void append(PickleValue& list, PickleRef v) {
    adopt(list, *v);
    list.items.push_back(std::move(v));
  }

  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("pickle reads memo slot " + std::to_string(index) + " before writing it");
    push(it->second);
  }

  void global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!allowed_global(full))
      throw FormatError(source_ + ": pickle references a forbidden global '" + full +
                        "'; only plain state_dicts are accepted");
    auto v = make(Kind::Global);
    v->string = full;
    push(v);
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        const uint64_t proto = uint_le(1);
        if (proto > 5) fail("pickle protocol " + std::to_string(proto) + " is unknown");
        break;
      }
      case 0x95: take(8); break;  // FRAME: framing only, the bytes follow inline
      case '}': push(make(Kind::Dict)); break;
      case ']': push(make(Kind::List)); break;
      case ')': push(make(Kind::Tuple)); break;
      case '(': mark(); break;
      case 't': push(tuple(pop_mark())); break;
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::vector<PickleRef> items(op - 0x84);
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(tuple(std::move(items)));
        break;
      }
      case 'X': case 0x8c: case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        const uint64_t n = uint_le(op == 'X' ? 4 : op == 0x8c ? 1 : 8);
        const uint8_t* b = take(n);
        push(string(std::string(reinterpret_cast<const char*>(b), size_t(n))));
        break;
      }
      case 'J': push(integer(int32_t(uint32_t(uint_le(4))))); break;
      case 'K': push(integer(int64_t(uint_le(1)))); break;
      case 'M': push(integer(int64_t(uint_le(2)))); break;
      case 0x8a: {  // LONG1: little-endian two's complement of n bytes
        const uint64_t n = uint_le(1);
        if (n > 8) fail("integer wider than 64 bits");
        uint64_t v = n ? uint_le(int(n)) : 0;
        if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);
        push(integer(int64_t(v)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        const uint8_t* b = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
        auto v = make(Kind::Float);
        std::memcpy(&v->real, &bits, 8);
        push(v);
        break;
      }
      case 'N': push(make(Kind::None)); break;
      case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
        auto v = make(Kind::Bool);
        v->boolean = op == 0x88;
        push(v);
        break;
      }
      case 'q': memo_put(uint_le(1)); break;
      case 'r': memo_put(uint_le(4)); break;
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'h': memo_get(uint_le(1)); break;
      case 'j': memo_get(uint_le(4)); break;
      case 's': {
        PickleRef value = pop(), key = pop();
        set_item(mutable_top(Kind::Dict, "SETITEM"), std::move(key), std::move(value));
        break;
      }
      case 'u': {
        std::vector<PickleRef> kv = pop_mark();
        if (kv.size() % 2) fail("SETITEMS with an odd number of items");
        PickleValue& dict = mutable_top(Kind::Dict, "SETITEMS");
        for (size_t i = 0; i < kv.size(); i += 2) set_item(dict, std::move(kv[i]), std::move(kv[i + 1]));
        break;
      }
      case 'a': {
        PickleRef v = pop();
        append(mutable_top(Kind::List, "APPEND"), std::move(v));
        break;
      }
      case 'e': {
        std::vector<PickleRef> items = pop_mark();
        PickleValue& list = mutable_top(Kind::List, "APPENDS");
        for (auto& v : items) append(list, std::move(v));
        break;
      }
      case 'c': {
        std::string module = line();
        std::string name = line();
        global(module, name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleRef name = pop(), module = pop();
        if (module->kind != Kind::String || name->kind != Kind::String)
          fail("STACK_GLOBAL needs two strings");
        global(module->string, name->string);
        break;
      }
      case 'R': {
        PickleRef args = pop(), callable = pop();
        push(reduce(*callable, *args));
        break;
      }
      case 'Q': push(persistent_load(*pop())); break;
      case 'b': {
        // state_dict() carries a `_metadata` attribute (module versions) that arrives as
        // BUILD on the OrderedDict; it holds no weights, so it is dropped.
        PickleRef state = pop();
        const PickleValue& obj = *top();
        if (obj.kind != Kind::Dict || (state->kind != Kind::None && state->kind != Kind::Dict))
          fail(std::string("BUILD of a ") + obj.kind_name() + " from a " + state->kind_name() +
               " is not supported");
        break;
      }
      default: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "unsupported pickle opcode 0x%02x", op);
        std::string what = buf;
        if (op >= 0x20 && op < 0x7f) what += std::string(" ('") + char(op) + "')";
        fail(what);
      }
    }
  }

  PickleRef reduce(const PickleValue& callable, const PickleValue& args) {
    if (callable.kind != Kind::Global) fail(std::string("REDUCE calls a ") + callable.kind_name());
    if (args.kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
    const std::string& f = callable.string;
    if (f == kOrderedDict) {
      if (!args.items.empty()) fail("OrderedDict built from arguments is not supported");
      return make(Kind::Dict);
    }
    if (f == kRebuildTensor) return rebuild_tensor(args.items);
    if (f == kRebuildParameter) {
      if (args.items.empty() || args.items[0]->kind != Kind::Tensor)
        fail("_rebuild_parameter without a tensor");
      return args.items[0];
    }
    fail("'" + f + "' cannot be called");
  }

  PickleRef persistent_load(const PickleValue& pid) {
    if (pid.kind != Kind::Tuple || pid.items.size() != 5 ||
        pid.items[0]->kind != Kind::String || pid.items[0]->string != "storage" ||
        pid.items[1]->kind != Kind::Global || pid.items[2]->kind != Kind::String ||
        pid.items[4]->kind != Kind::Int)
      fail("persistent id is not ('storage', type, key, location, numel)");
    auto type = storage_types().find(pid.items[1]->string);
    if (type == storage_types().end()) fail("'" + pid.items[1]->string + "' is not a storage type");
    const std::string& key = pid.items[2]->string;
    // Views of one storage name it repeatedly; load it once so they share the bytes.
    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      if (cached->second->tensor.dtype != type->second)
        fail("storage '" + key + "' is named with two dtypes");
      return cached->second;
    }
    const int64_t numel = pid.items[4]->integer;
    const uint64_t es = dtype_size(type->second);
    if (numel < 0 || uint64_t(numel) > UINT64_MAX / es)
      fail("storage '" + key + "' has an impossible element count " + std::to_string(numel));
    const uint64_t nbytes = uint64_t(numel) * es;
    reserve_bytes(nbytes, "storage '" + key + "'");
    auto v = make(Kind::Storage);
    v->string = key;
    v->tensor.dtype = type->second;
    v->tensor.bytes = load_(key, nbytes);
    if (v->tensor.bytes.size() != nbytes)
      fail("storage '" + key + "' holds " + std::to_string(v->tensor.bytes.size()) +
           " bytes, expected " + std::to_string(numel) + " elements of " +
           dtype_name(type->second));
    storages_[key] = v;
    return v;
  }

  std::vector<int64_t> int_tuple(const PickleValue& v, const char* what) {
    if (v.kind != Kind::Tuple) fail(std::string(what) + " is not a tuple");
    std::vector<int64_t> out;
    for (const auto& i : v.items) {
      if (i->kind != Kind::Int || i->integer < 0)
        fail(std::string(what) + " holds a value that is not a non-negative integer");
      out.push_back(i->integer);
    }
    return out;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, meta]):
  // copies the (possibly strided) view into a C-ordered tensor. A state_dict tensor never
  // overlaps itself within its storage (it is contiguous, or a transpose / slice of
  // something contiguous), so a view whose elements alias each other (a stride-0
  // expansion of 4 bytes into gigabytes) or that reaches past the storage is refused
  // before anything is allocated.
  PickleRef rebuild_tensor(const std::vector<PickleRef>& a) {
    if (a.size() < 6 || a.size() > 7 || a[0]->kind != Kind::Storage || a[1]->kind != Kind::Int)
      fail("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)");
    const PickleValue& storage = *a[0];
    const size_t es = dtype_size(storage.tensor.dtype);
    const uint64_t storage_numel = storage.tensor.bytes.size() / es;
    if (a[1]->integer < 0) fail("negative storage offset");
    const uint64_t offset = uint64_t(a[1]->integer);
    auto out = make(Kind::Tensor);
    Tensor& t = out->tensor;
    t.dtype = storage.tensor.dtype;
    t.shape = int_tuple(*a[2], "tensor size");
    const std::vector<int64_t> stride = int_tuple(*a[3], "tensor stride");
    if (stride.size() != t.shape.size()) fail("tensor size and stride differ in length");
    if (t.shape.size() > kMaxRank) fail("tensor has more than " + std::to_string(kMaxRank) + " dimensions");
    const std::string view = "tensor view (offset " + std::to_string(offset) + ", size " +
                             t.shape_str() + ") of storage '" + storage.string + "'";

    // Even an empty tensor's other dimensions must multiply within int64: readers of the
    // shape compute such products.
    uint64_t numel = 1, nonzero = 1;
    for (int64_t d : t.shape) {
      if (d != 0 && nonzero > uint64_t(INT64_MAX) / uint64_t(d)) fail(view + ": size overflows 64 bits");
      if (d != 0) nonzero *= uint64_t(d);
      numel *= uint64_t(d);
    }
    if (numel == 0) return out;

    // Walking the dimensions from the smallest stride up, each stride must step over
    // everything the smaller ones reach (`span` elements): then no two indices share an
    // element, and the view ends at offset + span - 1.
    std::vector<std::pair<uint64_t, uint64_t>> dims;  // (stride, size) of dimensions > 1
    for (size_t d = 0; d < t.shape.size(); ++d)
      if (t.shape[d] > 1) dims.emplace_back(uint64_t(stride[d]), uint64_t(t.shape[d]));
    std::sort(dims.begin(), dims.end());
    uint64_t span = 1;
    for (const auto& [st, size] : dims) {
      if (st < span)
        fail(view + " with stride " + stride_str(stride) +
             " reads some elements twice; state_dict tensors never overlap themselves");
      if (st > storage_numel || (size - 1) > (storage_numel - span) / st) {
        span = UINT64_MAX;  // past the storage in any case
        break;
      }
      span += st * (size - 1);
    }
    if (span > storage_numel || offset > storage_numel - span)
      fail(view + " with stride " + stride_str(stride) + " reaches past the storage's " +
           std::to_string(storage_numel) + " elements");

    reserve_bytes(numel * es, view);
    t.bytes.resize(size_t(numel) * es);
    const uint8_t* src = storage.tensor.bytes.data();
    std::vector<int64_t> index(t.shape.size(), 0);
    uint64_t at = offset;  // storage element of the current index
    for (size_t i = 0; i < size_t(numel); ++i) {
      std::memcpy(&t.bytes[i * es], src + at * es, es);
      // Odometer over the C-ordered index, moving `at` by the strides.
      for (size_t d = index.size(); d-- > 0;) {
        if (++index[d] < t.shape[d]) {
          at += uint64_t(stride[d]);
          break;
        }
        at -= uint64_t(stride[d]) * uint64_t(t.shape[d] - 1);
        index[d] = 0;
      }
    }
    return out;
  }

  static std::string stride_str(const std::vector<int64_t>& stride) {
    std::string s = "(";
    for (size_t i = 0; i < stride.size(); ++i) s += (i ? ", " : "") + std::to_string(stride[i]);
    return s + ")";
  }

  const std::vector<uint8_t>& p_;
  const StorageLoader& load_;
  const std::string& source_;
  const uint64_t max_bytes_;
  uint64_t used_bytes_ = 0, values_ = 0;
  size_t pos_ = 0, op_pos_ = 0;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleRef> memo_;
  std::map<std::string, PickleRef> storages_;
};

}  // namespace

const char* PickleValue::kind_name() const {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

const PickleValue* PickleValue::get(const std::string& key) const {
  auto it = index.find(key);
  return it == index.end() ? nullptr : entries[it->second].second.get();
}

PickleRef unpickle_restricted(const std::vector<uint8_t>& pickle, const StorageLoader& load,
                              const std::string& source, uint64_t max_bytes) {
  return Machine(pickle, load, source, max_bytes).run();
}

}  // namespace micronet
