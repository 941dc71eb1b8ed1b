#include "runtime/package_manifest.h"

#include <cstdio>

#include "formats/json_lite.h"
#include "models/config_json.h"
#include "support/targets.h"

namespace micronet {

namespace {

// JsonValue back to text (for the config, parsed again by config_from_json).
std::string to_text(const JsonValue& v) {
  switch (v.kind) {
    case JsonValue::Kind::Null: return "null";
    case JsonValue::Kind::Bool: return v.boolean ? "true" : "false";
    case JsonValue::Kind::Integer: return std::to_string(v.integer);
    case JsonValue::Kind::Number: {
      char b[40];
      std::snprintf(b, sizeof b, "%.17g", v.number);
      return b;
    }
    case JsonValue::Kind::String: return json_quote(v.string);
    case JsonValue::Kind::Array: {
      std::string s = "[";
      for (size_t i = 0; i < v.array.size(); ++i) s += (i ? ", " : "") + to_text(v.array[i]);
      return s + "]";
    }
    case JsonValue::Kind::Object: {
      std::string s = "{";
      for (size_t i = 0; i < v.object.size(); ++i)
        s += (i ? ", " : "") + json_quote(v.object[i].first) + ": " + to_text(v.object[i].second);
      return s + "}";
    }
  }
  return "null";
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

PackageManifest parse_package_manifest(const std::string& text, const std::string& manifest_path,
                                       const std::string& runtime_version) {
  const std::string dir = manifest_path.size() > 14 && manifest_path.compare(manifest_path.size() - 14, 14, "/manifest.json") == 0
                              ? manifest_path.substr(0, manifest_path.size() - 14)
                              : manifest_path;
  JsonValue m;
  try {
    // A manifest holds its config (<= 64 rows), one small object per kernel (<= 4096) and
    // the tuning lines used: 64k values and 1 MiB cover the largest with room.
    JsonLimits limits;
    limits.max_bytes = kMaxManifestBytes;
    limits.max_depth = 16;
    limits.max_values = 65536;
    limits.max_string_bytes = 65536;
    m = parse_json(text, limits);
  } catch (const std::exception& e) {
    throw PackageError(manifest_path + ": unreadable manifest (truncated or edited?): " + e.what());
  }
  if (m.kind != JsonValue::Kind::Object) throw PackageError(manifest_path + ": unreadable manifest: not a JSON object");
  auto field = [&](const char* name, JsonValue::Kind kind) -> const JsonValue& {
    const JsonValue* v = m.find(name);
    if (!v || v->kind != kind) throw PackageError(manifest_path + ": field '" + name + "' is missing or of the wrong type");
    return *v;
  };
  auto text_field = [&](const char* name) { return field(name, JsonValue::Kind::String).string; };
  auto bad = [&](const char* name, const std::string& what) {
    return PackageError(manifest_path + ": field '" + name + "' " + what);
  };

  PackageManifest p;
  p.format = text_field("format");
  if (p.format != kPackageFormat)
    throw PackageError(dir + ": package format '" + printable(p.format) + "', this runtime reads '" + kPackageFormat + "'");
  p.project_version = text_field("project_version");
  if (p.project_version != runtime_version)
    throw PackageError(dir + ": compiled by micronet " + printable(p.project_version) + ", this runtime is micronet " +
                       runtime_version + ": recompile it with this version's `micronet compile`");
  p.halide_target = text_field("halide_target");
  if (p.halide_target.size() > 256) throw bad("halide_target", "is longer than 256 bytes");
  const std::string why = target_mismatch(p.halide_target);
  if (!why.empty()) throw PackageError(dir + ": " + printable(why, 400));
  p.device_api = device_api_of(p.halide_target);

  try {
    p.config = config_from_json(to_text(field("config", JsonValue::Kind::Object)), manifest_path + " config");
  } catch (const PackageError&) {
    throw;
  } catch (const std::exception& e) {
    throw PackageError(e.what());
  }

  // The network's size and classes: bounded as in a config, and equal to the config's
  // (the compiler writes both; the config is what the library's identity hash covers).
  const JsonValue& size = field("input_size", JsonValue::Kind::Array);
  if (size.array.size() != 2 || size.array[0].kind != JsonValue::Kind::Integer ||
      size.array[1].kind != JsonValue::Kind::Integer)
    throw bad("input_size", "must be [height, width]");
  const int64_t h = size.array[0].integer, w = size.array[1].integer;
  if (h < 16 || h > 4096 || w < 16 || w > 4096)
    throw bad("input_size", "[" + std::to_string(h) + ", " + std::to_string(w) + "] is out of range [16..4096] per side");
  if (h != p.config.input_h || w != p.config.input_w)
    throw bad("input_size", "[" + std::to_string(h) + ", " + std::to_string(w) + "] differs from the config's [" +
                                std::to_string(p.config.input_h) + ", " + std::to_string(p.config.input_w) +
                                "] (the manifest was edited)");
  p.input_h = int(h);
  p.input_w = int(w);
  const int64_t classes = field("classes", JsonValue::Kind::Integer).integer;
  if (classes < 1 || classes > 100000) throw bad("classes", std::to_string(classes) + " is out of range [1..100000]");
  if (classes != p.config.num_classes)
    throw bad("classes", std::to_string(classes) + " differs from the config's " + std::to_string(p.config.num_classes) +
                             " (the manifest was edited)");
  p.classes = int(classes);

  const JsonValue& kernels = field("kernels", JsonValue::Kind::Array);
  if (kernels.array.empty() || kernels.array.size() > kMaxPackageKernels)
    throw bad("kernels", "must list 1 to " + std::to_string(kMaxPackageKernels) + " kernels, not " +
                             std::to_string(kernels.array.size()));
  for (const JsonValue& k : kernels.array) {
    const JsonValue* name = k.kind == JsonValue::Kind::Object ? k.find("name") : nullptr;
    if (!name || name->kind != JsonValue::Kind::String) throw PackageError(manifest_path + ": a kernel without a name");
    if (name->string.empty() || name->string.size() > 200) throw bad("kernels", "holds a name of 0 or more than 200 bytes");
    p.kernels.push_back(name->string);
  }

  p.library_sha256 = text_field("library_sha256");
  if (!is_sha256_hex(p.library_sha256)) throw bad("library_sha256", "is not 64 lower-case hex digits");
  p.library_bytes = field("library_bytes", JsonValue::Kind::Integer).integer;
  if (p.library_bytes < 1 || uint64_t(p.library_bytes) > kMaxLibraryBytes)
    throw bad("library_bytes", std::to_string(p.library_bytes) + " is out of range [1.." + std::to_string(kMaxLibraryBytes) + "]");

  // Weights: absent/null, or the package's own file by its one name. A path (or "../x")
  // would read a file outside the package; anything else is an edited manifest.
  const JsonValue* weights = m.find("weights");
  if (weights && weights->kind != JsonValue::Kind::Null) {
    if (weights->kind != JsonValue::Kind::String || weights->string != kPackageWeights)
      throw bad("weights", std::string("must be null or \"") + kPackageWeights +
                               "\" (a package's weights are its own file, never a path elsewhere)");
    p.has_weights = true;
    p.weights_sha256 = text_field("weights_sha256");
    if (!is_sha256_hex(p.weights_sha256)) throw bad("weights_sha256", "is not 64 lower-case hex digits");
    p.weights_bytes = field("weights_bytes", JsonValue::Kind::Integer).integer;
    if (p.weights_bytes < 8 || p.weights_bytes > int64_t(2) << 30)
      throw bad("weights_bytes", std::to_string(p.weights_bytes) + " is out of range [8..2^31]");
  }
  return p;
}

}  // namespace micronet
