// A named host tensor as stored in weight files: dtype, shape, raw little-endian bytes.
// Weights flow checkpoint -> TensorMap -> safetensors -> runtime / reference.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace micronet {

enum class DType { F32, F64, F16, BF16, I64, I32, I16, I8, U8, Bool };

const char* dtype_name(DType d);          // safetensors spelling: "F32", "I64", ...
size_t dtype_size(DType d);
DType dtype_from_name(const std::string& s);  // throws std::runtime_error on unknown

struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // empty = scalar
  std::vector<uint8_t> bytes;  // numel * dtype_size, little-endian

  int64_t numel() const;
  std::string shape_str() const;  // "16x1x3x1", "scalar"

  static Tensor f32(std::vector<int64_t> shape, std::vector<float> values);
  // Copy as float32 (F32/F64/F16/BF16/I64/I32 converted); shape unchanged.
  std::vector<float> to_f32() const;
  const float* f32_data() const;  // throws unless dtype == F32
  float* f32_data();
};

// Ordered by key so files written from it are deterministic.
using TensorMap = std::map<std::string, Tensor>;

// Errors from reading/writing files and from validating weights. The message names the
// file, the key and the offending shape/dtype.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace micronet
