#include "runtime/package.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include "HalideRuntime.h"
#include "models/config_json.h"
#include "formats/file_io.h"
#include "formats/json_lite.h"
#include "formats/sha256.h"
#include "formats/tensor.h"
#include "support/targets.h"

#ifndef MICRONET_PROJECT_VERSION
#define MICRONET_PROJECT_VERSION "unknown"
#endif

namespace micronet {

const char* package_runtime_version() { return MICRONET_PROJECT_VERSION; }

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

// Promotes the object holding this runtime (a Python extension module is loaded
// RTLD_LOCAL) to the global scope, so a package's halide_* references resolve to it.
// Executables export theirs (ENABLE_EXPORTS), for which this does nothing.
void export_halide_runtime() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&halide_malloc), &info) && info.dli_fname) {
    if (void* h = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL)) (void)h;  // kept open on purpose
  }
}

}  // namespace

std::shared_ptr<const ModelPackage> ModelPackage::open(const std::string& dir) {
  const std::string manifest_path = dir + "/" + kPackageManifest;
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw PackageError(dir + ": not a package folder (no such directory)");
  if (stat(manifest_path.c_str(), &st) != 0)
    throw PackageError(dir + ": not a package (no " + kPackageManifest + "; make one with `micronet compile`)");
  JsonValue m;
  try {
    const std::vector<uint8_t> bytes = read_file_bytes(manifest_path);
    m = parse_json(std::string(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw PackageError(manifest_path + ": unreadable manifest (truncated or edited?): " + e.what());
  }
  auto field = [&](const char* name, JsonValue::Kind kind) -> const JsonValue& {
    const JsonValue* v = m.kind == JsonValue::Kind::Object ? m.find(name) : nullptr;
    if (!v || v->kind != kind) throw PackageError(manifest_path + ": field '" + name + "' is missing or of the wrong type");
    return *v;
  };
  auto text = [&](const char* name) { return field(name, JsonValue::Kind::String).string; };
  const std::string format = text("format");
  if (format != kPackageFormat)
    throw PackageError(dir + ": package format '" + format + "', this runtime reads '" + kPackageFormat + "'");
  const std::string version = text("project_version");
  if (version != package_runtime_version())
    throw PackageError(dir + ": compiled by micronet " + version + ", this runtime is micronet " +
                       package_runtime_version() + ": recompile it with this version's `micronet compile`");

  std::shared_ptr<ModelPackage> p(new ModelPackage());
  p->dir_ = dir;
  p->halide_target_ = text("halide_target");
  p->device_api_ = device_api_of(p->halide_target_);
  const std::string why = target_mismatch(p->halide_target_);
  if (!why.empty()) throw PackageError(dir + ": " + why);

  const std::string config_text = to_text(field("config", JsonValue::Kind::Object));
  try {
    p->config_ = config_from_json(config_text, manifest_path + " config");
  } catch (const std::exception& e) {
    throw PackageError(e.what());
  }
  const JsonValue& size = field("input_size", JsonValue::Kind::Array);
  if (size.array.size() != 2 || size.array[0].kind != JsonValue::Kind::Integer ||
      size.array[1].kind != JsonValue::Kind::Integer)
    throw PackageError(manifest_path + ": field 'input_size' must be [height, width]");
  p->input_h_ = int(size.array[0].integer);
  p->input_w_ = int(size.array[1].integer);
  p->classes_ = int(field("classes", JsonValue::Kind::Integer).integer);
  for (const JsonValue& k : field("kernels", JsonValue::Kind::Array).array) {
    const JsonValue* name = k.kind == JsonValue::Kind::Object ? k.find("name") : nullptr;
    if (!name || name->kind != JsonValue::Kind::String) throw PackageError(manifest_path + ": a kernel without a name");
    p->kernel_names_.push_back(name->string);
  }
  if (const JsonValue* w = m.find("weights"); w && w->kind == JsonValue::Kind::String) {
    p->weights_ = dir + "/" + w->string;
    if (stat(p->weights_.c_str(), &st) != 0) throw PackageError(dir + ": the manifest names weights " + w->string + ", which are missing");
  }

  // The library must be the one the manifest describes, byte for byte, before any of its
  // code runs (dlopen runs initializers).
  const std::string lib = dir + "/" + kPackageLibrary;
  const std::string want_sha = text("library_sha256");
  const int64_t want_bytes = field("library_bytes", JsonValue::Kind::Integer).integer;
  uint64_t bytes = 0;
  std::string sha;
  try {
    sha = sha256_file(lib, &bytes);
  } catch (const std::exception& e) {
    throw PackageError(dir + ": " + kPackageLibrary + " is missing or unreadable: " + e.what());
  }
  if (int64_t(bytes) != want_bytes)
    throw PackageError(lib + " is " + std::to_string(bytes) + " bytes, the manifest records " +
                       std::to_string(want_bytes) + " (truncated or replaced): recompile the package");
  if (sha != want_sha)
    throw PackageError(lib + " has SHA-256 " + sha + ", the manifest records " + want_sha +
                       " (the library was edited or corrupted): recompile the package");

  export_halide_runtime();
  p->handle_ = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!p->handle_) throw PackageError("cannot load " + lib + ": " + dlerror());
  auto sym = [&](const char* name) {
    void* s = dlsym(p->handle_, name);
    if (!s) throw PackageError(lib + " has no symbol " + name + ": not a micronet package library");
    return s;
  };
  // What the library was compiled as, against what the manifest says.
  auto same = [&](const char* symbol, const std::string& manifest_value, const char* what) {
    const std::string lib_value = static_cast<const char*>(sym(symbol));
    if (lib_value != manifest_value)
      throw PackageError(manifest_path + " does not match " + kPackageLibrary + ": its " + what + " is '" +
                         manifest_value + "', the library was compiled with '" + lib_value + "' (the manifest was edited)");
  };
  same("micronet_package_format", format, "format");
  same("micronet_package_version", version, "project_version");
  same("micronet_package_halide_target", p->halide_target_, "halide_target");
  same("micronet_package_config_sha256", sha256_hex(config_to_json(p->config_).data(), config_to_json(p->config_).size()),
       "config (SHA-256 of its canonical JSON)");
  const int count = *static_cast<const int*>(sym("micronet_package_entry_count"));
  const KernelEntry* table = static_cast<const KernelEntry*>(sym("micronet_package_entries"));
  std::vector<std::string> lib_names;
  for (int i = 0; i < count; ++i) {
    lib_names.push_back(table[i].name);
    p->entries_[table[i].name] = table[i];
  }
  if (lib_names != p->kernel_names_) {
    std::string lib_list, man_list;
    for (const std::string& n : lib_names) lib_list += " " + n;
    for (const std::string& n : p->kernel_names_) man_list += " " + n;
    throw PackageError(manifest_path + " does not match " + kPackageLibrary + ": its kernels are" + man_list +
                       "; the library holds" + lib_list + " (the manifest was edited)");
  }
  return p;
}

// The library stays loaded: the Halide runtime may keep pointers into it (GPU module
// state, pipeline names in traces) past the model's life.
ModelPackage::~ModelPackage() = default;

const KernelEntry* ModelPackage::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string ModelPackage::describe() const { return "package " + dir_ + " (" + halide_target_ + ")"; }

}  // namespace micronet
