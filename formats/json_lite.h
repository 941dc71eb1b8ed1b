// The small JSON subset that file headers (safetensors) need: objects, arrays, strings
// with escapes, integers kept exact to 64 bits, other numbers as double, true/false/null.
//
// Bounded: a parsed value costs ~100 bytes (plus vector slack) whatever its text, so a
// hostile document of small values ("0,0,0,...") would cost ~50x its size in memory. The
// parser counts values, depth and string bytes against JsonLimits and fails before building
// more than the limits allow; each reader passes the limits of what it reads (docs/limits.md).
// Strings must be valid UTF-8 (raw bytes and \u escapes alike), so what is read can be
// written back as JSON and decoded by Python.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
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

struct JsonLimits {
  size_t max_bytes = size_t(16) << 20;         // the document's text
  int max_depth = 64;                          // nested arrays/objects
  size_t max_values = size_t(1) << 20;         // every value: scalars, arrays, objects
  size_t max_string_bytes = size_t(16) << 20;  // one string or member name, decoded
};

// Parses a whole document (surrounding whitespace allowed). Throws JsonError with the
// byte offset of the problem, or naming the limit exceeded. A document that starts with a
// byte order mark or looks like UTF-16 is refused as such (not "unexpected character").
JsonValue parse_json(std::string_view text, const JsonLimits& limits = {});

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). Writers check text with it so that they never write what parse_json refuses.
bool is_valid_utf8(std::string_view s);

// `s` for an error message: printable ASCII kept, anything else as \xNN, cut to `max`
// bytes with "..." (a message with raw bytes breaks UTF-8 readers of the output).
std::string printable(std::string_view s, size_t max = 80);

// `s` as a JSON string literal, quotes included.
std::string json_quote(const std::string& s);

}  // namespace micronet
