// The small JSON subset that file headers (safetensors) need: objects, arrays, strings
// with escapes, integers kept exact to 64 bits, other numbers as double, true/false/null.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace micronet {

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct JsonValue {
  enum class Kind { Null, Bool, Integer, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  int64_t integer = 0;  // Kind::Integer: exact, since data offsets exceed 2^53 in principle
  double number = 0;    // Kind::Number (fractions, exponents, out-of-range integers)
  std::string string;
  std::vector<JsonValue> array;
  // Members in file order; duplicate names are rejected by the parser.
  std::vector<std::pair<std::string, JsonValue>> object;

  const JsonValue* find(const std::string& name) const;
};

// Parses a whole document (surrounding whitespace allowed). Throws JsonError with the
// byte offset of the problem.
JsonValue parse_json(const std::string& text);

// `s` as a JSON string literal, quotes included.
std::string json_quote(const std::string& s);

}  // namespace micronet
