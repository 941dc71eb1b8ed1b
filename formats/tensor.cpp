#include "formats/tensor.h"

#include <cstring>

namespace micronet {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4}, {DType::F64, "F64", 8}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},  {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::Bool, "BOOL", 1},
};

const DTypeInfo& info(DType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i;
  throw std::logic_error("unknown DType value");
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // bytes may be unaligned
  return v;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: renormalize, since every such value is a normal float.
    exp = 113;
    while (!(mant & 0x400)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

const char* dtype_name(DType d) { return info(d).name; }
size_t dtype_size(DType d) { return info(d).size; }

DType dtype_from_name(const std::string& s) {
  for (const auto& i : kDTypes)
    if (s == i.name) return i.dtype;
  throw std::runtime_error("unknown dtype '" + s + "'");
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string Tensor::shape_str() const {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

Tensor Tensor::f32(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t;
  t.dtype = DType::F32;
  t.shape = std::move(shape);
  if (int64_t(values.size()) != t.numel())
    throw std::invalid_argument("Tensor::f32: " + std::to_string(values.size()) +
                                " values for shape " + t.shape_str());
  t.bytes.resize(values.size() * 4);
  if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

std::vector<float> Tensor::to_f32() const {
  const size_t n = size_t(numel());
  if (bytes.size() != n * dtype_size(dtype))
    throw FormatError("tensor of shape " + shape_str() + " and dtype " + dtype_name(dtype) +
                      " holds " + std::to_string(bytes.size()) + " bytes");
  std::vector<float> out(n);
  const uint8_t* p = bytes.data();
  for (size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case DType::F32: out[i] = load<float>(p + 4 * i); break;
      case DType::F64: out[i] = float(load<double>(p + 8 * i)); break;
      case DType::F16: out[i] = half_to_float(load<uint16_t>(p + 2 * i)); break;
      case DType::BF16: out[i] = bf16_to_float(load<uint16_t>(p + 2 * i)); break;
      case DType::I64: out[i] = float(load<int64_t>(p + 8 * i)); break;
      case DType::I32: out[i] = float(load<int32_t>(p + 4 * i)); break;
      default:
        throw FormatError(std::string("cannot convert dtype ") + dtype_name(dtype) +
                          " to F32");
    }
  }
  return out;
}

const float* Tensor::f32_data() const {
  if (dtype != DType::F32)
    throw FormatError(std::string("expected an F32 tensor, got ") + dtype_name(dtype) +
                      " of shape " + shape_str());
  return reinterpret_cast<const float*>(bytes.data());
}

float* Tensor::f32_data() {
  return const_cast<float*>(static_cast<const Tensor&>(*this).f32_data());
}

}  // namespace micronet
