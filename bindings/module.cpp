// micronet_halide: the Python module of the MicroNet Halide runtime.
//
//   m = micronet_halide.load("m0_fashion64.safetensors")   # arch etc. from the file's metadata
//   m = micronet_halide.load("m0", "m0.pth", threads=2)     # or named
//   logits = m(x)                       # float32 N x 3 x H x W numpy / torch -> N x classes
//   m.classify("photo.jpg", topk=5)     # [Prediction(class_index, name, probability, logit), ...]
//   m.benchmark(batch=1, iters=100)     # {"median_ms": ..., ...}
//   micronet_halide.compile(config="my.json", target="host", out="pkg")   # micronet-compile
//   m = micronet_halide.load(package="pkg")  # a package's network, kernels and weights
//
// Errors: FileNotFoundError (missing file), ValueError (bad shape / dtype / rank / channel
// count / arch / target / argument), RuntimeError (bad file contents, run errors such as
// non-finite input; micronet_halide.FormatError and RunError are its subclasses; a refused
// package is micronet_halide.PackageError, also a RuntimeError).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>

#include "bindings/array_io.h"
#include "bindings/describe.h"
#include "bindings/image_input.h"
#include "bindings/model.h"
#include "models/checkpoint_import.h"
#include "runtime/device_targets.h"
#include "models/config.h"
#include "models/config_json.h"
#include "models/cost.h"
#include "models/plan.h"
#include "models/random_weights.h"
#include "models/state_dict_layout.h"
#include "runtime/halide_model.h"
#include "runtime/package.h"
#include "runtime/package_manifest.h"
#include "formats/file_io.h"
#include "formats/safetensors.h"
#include "loader/model_loader.h"
#include "loader/on_demand.h"

namespace py = pybind11;
using micronet::bindings::Model;

namespace micronet::bindings {
namespace {

constexpr uint64_t kDefaultSeed = 2021;  // the CLI's seed for random weights

// Targets this build compiled kernels for: "host", then GPU APIs ("opencl", "cuda").
const std::vector<std::string>& valid_targets() {
  static const std::vector<std::string> t = compiled_targets();
  return t;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + ("'" + v[i] + "'");
  return s;
}

void check_target(const std::string& target) {
  const auto& t = valid_targets();
  if (std::find(t.begin(), t.end(), target) == t.end())
    throw py::value_error("unknown target '" + target + "': valid targets are " + join(t));
}

const ModelConfig& config_of(const std::string& arch) {
  return model_config(arch);  // std::invalid_argument (-> ValueError) naming the choices
}

int classes_arg(const py::object& num_classes) {
  if (num_classes.is_none()) return -1;
  const int n = num_classes.cast<int>();
  if (n < 1) throw py::value_error("num_classes must be >= 1, got " + std::to_string(n));
  return n;
}

bool ends_with(const std::string& s, const char* suffix) {
  const std::string suf(suffix);
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// load("x.safetensors") / load(pathlib.Path(...)): a first argument that is no arch name but
// plainly a file is the weights. An arch name wins even where a file of that name exists, so
// load("m0") keeps its meaning; "m9" stays an unknown arch (ValueError), not a missing file.
bool names_weights_file(py::handle arg) {
  if (!py::isinstance<py::str>(arg)) return is_path_like(arg);  // bytes, os.PathLike
  const std::string s = arg.cast<std::string>();
  const auto& known = known_archs();
  if (std::find(known.begin(), known.end(), s) != known.end()) return false;
  std::error_code ec;
  return s.find('/') != std::string::npos || ends_with(s, ".safetensors") || ends_with(s, ".pth") ||
         ends_with(s, ".pt") || ends_with(s, ".tar") || std::filesystem::exists(s, ec);
}

// threads=None: default_worker_threads (1 on the host; on a GPU, where they stage the input,
// the CPUs, at most 8), as the CLI without --threads.
int threads_or_default(std::optional<int> threads, const std::string& target) {
  if (!threads) return default_worker_threads(target);
  if (*threads < 1) throw py::value_error("threads must be >= 1, got " + std::to_string(*threads));
  return *threads;
}

// The micronet-compile that compile() and load()'s on-demand compiles run (the first of
// compiler_candidates() that exists, else PATH's), with the build's default tuning file.
OnDemandCompiler python_compiler();

// load(): the arguments Python allows (arch may name the weights file, paths may be
// os.PathLike), then the same loader as the CLI (loader/model_loader.h, loader/on_demand.h):
// a package's network and kernels, the build's kernels, or a package compiled on demand for
// a network the build lacks (a custom config in the weights' metadata, other classes).
std::shared_ptr<Model> load(const py::object& arch_arg, const py::object& weights_arg,
                            std::optional<int> threads_arg, const std::optional<std::string>& target_arg,
                            const py::object& num_classes, uint64_t seed, const py::object& package_arg,
                            const std::optional<std::string>& expect_sha256) {
  const std::string dir = package_arg.is_none() ? "" : path_string(package_arg);
  // None: the package's own target, else "host". A target named with a package must be the
  // package's: target='host' used to return the OpenCL package's model unasked.
  const std::string target = target_arg.value_or("host");
  if (expect_sha256 && (dir.empty() || expect_sha256->size() != 64 ||
                        expect_sha256->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
    throw py::value_error("expect_sha256 must be the 64 hex digits of a package's manifest.json SHA-256, with package=");
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    PyErr_SetObject(PyExc_FileNotFoundError,
                    py::make_tuple(ENOENT, "package folder not found: " + dir, dir).ptr());
    throw py::error_already_set();
  }
  py::object weights = weights_arg;
  std::string arch;  // "" = the file's (or the package's)
  if (!arch_arg.is_none()) {
    if (weights.is_none() && names_weights_file(arch_arg)) {
      weights = arch_arg;
    } else if (!py::isinstance<py::str>(arch_arg)) {
      throw py::type_error("arch must be a str ('m0'..'m3'), got " +
                           py::str(py::type::handle_of(arch_arg).attr("__name__")).cast<std::string>());
    } else {
      arch = arch_arg.cast<std::string>();
      if (dir.empty()) config_of(arch);  // ValueError naming the choices
    }
  }
  if (dir.empty()) check_target(target);
  const int classes = classes_arg(num_classes);
  if (dir.empty() && weights.is_none() && arch.empty())
    throw py::value_error("micronet_halide.load() needs an arch ('m0'..'m3'), a weights file or a package");
  const std::string weights_path = weights.is_none() ? "" : existing_file(weights, "weights file");
  if (!dir.empty() && target_arg) {
    // From the manifest alone, before the package's library is loaded: a target named with a
    // package must be the package's (target='host' used to return an OpenCL package's model).
    // A manifest that does not parse is left to open_model_files, which names what is wrong.
    PackageManifest m;
    bool read = false;
    try {
      const std::string path = dir + "/" + kPackageManifest;
      const std::vector<uint8_t> bytes = read_file_bytes(path, kMaxManifestBytes);
      m = parse_package_manifest(std::string(bytes.begin(), bytes.end()), path, package_runtime_version());
      read = true;
    } catch (const std::exception&) {
    }
    if (read && *target_arg != m.device_api)
      throw py::value_error("target='" + *target_arg + "' does not apply to package " + dir + ": its kernels are for " +
                            m.halide_target + " (device '" + m.device_api + "'); leave target out to run it there, " +
                            "or compile a package for '" + *target_arg + "' (compile(..., target='" + *target_arg +
                            "'))");
  }
  ModelFiles files;
  {
    py::gil_scoped_release nogil;
    files = open_model_files(dir, weights_path, expect_sha256.value_or(""));  // PackageError -> micronet_halide.PackageError
  }
  const std::string api = files.package ? files.package->device_api() : target;
  if (files.package && api != "host") {
    const auto& t = valid_targets();
    if (std::find(t.begin(), t.end(), api) == t.end())
      throw py::value_error("package " + dir + " holds " + api + " kernels, and this build's runtime has no " + api +
                            " support (it runs " + join(t) + ")");
  }
  const int threads = threads_or_default(threads_arg, api);
  if (files.weights_path.empty()) {
    const std::string what = dir.empty() ? "'" + arch + "'" : "package='" + dir + "'";
    const std::string msg = "micronet_halide.load(" + what + "): " +
                            (dir.empty() ? std::string("no weights given") : "the package has no weights and none were given") +
                            ", using RANDOM weights (seed " + std::to_string(seed) + "); outputs are meaningless";
    if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) != 0) throw py::error_already_set();
  }
  py::gil_scoped_release nogil;
  const ModelPackage* pkg = files.package.get();
  const int h = files.meta.input_h > 0 ? files.meta.input_h : pkg ? pkg->input_h() : Model::kDefaultSize;
  const int w = files.meta.input_w > 0 ? files.meta.input_w : pkg ? pkg->input_w() : Model::kDefaultSize;
  const ModelPlan plan = plan_model_files(files, arch, h, w, classes, kPythonArgs);
  const auto kernels = std::dynamic_pointer_cast<const ModelPackage>(
      kernel_source_for(files, plan, target, python_compiler(), kPythonArgs));
  std::string source;
  TensorMap tensors = take_weights(files, plan, seed, &source);
  ModelMetadata meta = files.weights_path.empty() ? imagenet_metadata(plan.arch, plan.num_classes) : files.meta;
  meta.arch = plan.arch;
  meta.num_classes = plan.num_classes;
  meta.input_h = plan.input_h;
  meta.input_w = plan.input_w;
  if (!files.weights_path.empty())
    source += " (as MicroNet-" + plan.arch + (dir.empty() ? std::string() : " from package " + dir) + ")";
  return std::make_shared<Model>(std::move(tensors), source, std::move(meta), threads,
                                 kernels ? kernels->device_api() : target, kernels);
}

// config=: a JSON file (str or os.PathLike) or a dict of the same schema. A dict's errors name
// the dict ("config dict: name: missing"), not a temporary file it was written to.
ModelConfig config_arg(const py::object& config) {
  if (py::isinstance<py::dict>(config)) {
    const std::string text = py::module_::import("json").attr("dumps")(config).cast<std::string>();
    return config_from_json(text, "config dict");  // ConfigError (std::invalid_argument) -> ValueError
  }
  return load_config_file(existing_file(config, "config file"));
}

// Exactly one network: arch ('m0'..'m3') or config (a file or dict), as the CLI's --arch/--config.
ModelConfig network_arg(const py::object& arch, const py::object& config, const char* fn) {
  if (arch.is_none() == config.is_none())
    throw py::value_error(std::string("micronet_halide.") + fn +
                          "() needs one network: arch ('m0'..'m3') or config= (a config JSON file or dict)");
  if (!config.is_none()) return config_arg(config);
  if (!py::isinstance<py::str>(arch))
    throw py::type_error("arch must be a str ('m0'..'m3'), got " +
                         py::str(py::type::handle_of(arch).attr("__name__")).cast<std::string>());
  return config_of(arch.cast<std::string>());
}

void convert(const py::object& arch, const py::object& checkpoint, const py::object& out,
             const py::object& num_classes, const py::object& config) {
  const ModelConfig cfg = network_arg(arch, config, "convert");
  if (checkpoint.is_none() || out.is_none())
    throw py::type_error("micronet_halide.convert() needs checkpoint= (the .pth file) and out= (the .safetensors to write)");
  const int classes = classes_arg(num_classes);
  const std::string in = existing_file(checkpoint, "checkpoint");
  const std::string out_path = path_string(out);
  const bool custom = !config.is_none();
  py::gil_scoped_release nogil;
  // As `micronet convert` (tools/cmd_convert.cpp): a custom network at its own input size,
  // its config kept in the metadata so load(), run and compile find the network.
  const ModelPlan plan = custom ? plan_model(cfg, cfg.input_h, cfg.input_w, classes) : plan_model(cfg, 224, 224, classes);
  TensorMap w = load_torch_checkpoint(in, checkpoint_byte_budget(plan));
  validate_state_dict(w, state_dict_layout(plan), in + " (as MicroNet-" + cfg.arch + ")");
  std::map<std::string, std::string> meta = {{"arch", cfg.arch}, {"format", "micronet-official-state-dict"},
                                             {"num_classes", std::to_string(plan.num_classes)}, {"source", in}};
  if (custom) {
    ModelConfig stored = cfg;
    stored.num_classes = plan.num_classes;
    meta[kConfigMetadataKey] = config_to_json(stored);
    meta["input_height"] = std::to_string(cfg.input_h);
    meta["input_width"] = std::to_string(cfg.input_w);
  }
  write_safetensors(out_path, w, meta);
}

py::dict info(const py::object& arch, std::optional<int> height, std::optional<int> width,
              const py::object& num_classes, const py::object& config) {
  const ModelConfig cfg = network_arg(arch, config, "info");
  const ModelPlan plan = plan_model(cfg, height.value_or(cfg.input_h), width.value_or(cfg.input_w),
                                    classes_arg(num_classes));
  const CostReport r = cost_report(plan);
  py::list layers;
  for (const OpCost& c : r.ops) {
    py::dict row;
    row["block"] = c.block;
    row["op"] = c.op;
    row["key"] = c.key;
    row["params"] = c.params;
    row["madds"] = c.madds();
    row["conv_madds"] = c.conv_madds;
    row["linear_madds"] = c.linear_madds;
    row["shiftmax_madds"] = c.shiftmax_madds;
    layers.append(row);
  }
  py::dict d;
  d["arch"] = plan.arch;
  d["input"] = py::make_tuple(plan.input_h, plan.input_w);
  d["num_classes"] = plan.num_classes;
  d["params"] = r.params;
  d["madds"] = r.madds;
  d["layers"] = layers;
  return d;
}

py::object call(Model& m, py::handle x) {
  FloatInput in = nchw_float32(x);
  m.last_input_was_copied = in.copied;
  m.last_input_address = reinterpret_cast<uintptr_t>(in.data());
  std::vector<float> logits;
  {
    py::gil_scoped_release nogil;
    logits = m.run(in.data(), in.batch, in.height, in.width);
  }
  return logits_object(std::move(logits), in.batch, m.num_classes(), in.torch);
}

// 1 x 3 x h x w float32 numpy array owning `x`.
py::array_t<float> input_batch(std::vector<float>&& x, int h, int w) {
  auto* owned = new std::vector<float>(std::move(x));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>({py::ssize_t(1), py::ssize_t(3), py::ssize_t(h), py::ssize_t(w)},
                            owned->data(), owner);
}

// Top-k of one image, best first, as Prediction(class_index, name, probability, logit):
// the classes and logits `micronet classify` prints, with the name from the weights file's
// class names (None when it has none) and the softmax over all classes.
py::list classify(Model& m, py::handle image, int topk) {
  if (topk < 1) throw py::value_error("topk must be >= 1, got " + std::to_string(topk));
  const std::vector<float> x = preprocess_image(image, m.metadata());
  std::vector<float> logits;
  {
    py::gil_scoped_release nogil;
    logits = m.run(x.data(), 1, m.input_h(), m.input_w());
  }
  const int n = m.num_classes();
  const int k = std::min(topk, n);
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int p, int q) { return logits[p] > logits[q] || (logits[p] == logits[q] && p < q); });
  // Softmax in double, shifted by the largest logit so exp() cannot overflow.
  const double top = logits[idx[0]];
  double sum = 0;
  for (float l : logits) sum += std::exp(double(l) - top);
  const std::vector<std::string>& names = m.metadata().class_names;
  py::object prediction = py::module_::import("micronet_halide").attr("Prediction");
  py::list out;
  for (int i = 0; i < k; ++i) {
    const int c = idx[i];
    py::object name = names.empty() ? py::object(py::none()) : py::object(py::str(names[c]));
    out.append(prediction(c, name, std::exp(double(logits[c]) - top) / sum, logits[c]));
  }
  return out;
}

py::dict benchmark(Model& m, int batch, int iters, int warmup, std::optional<int> h,
                   std::optional<int> w) {
  const int height = h.value_or(m.input_h()), width = w.value_or(m.input_w());
  if (batch < 1 || iters < 1 || warmup < 0)
    throw py::value_error("benchmark needs batch >= 1, iters >= 1, warmup >= 0; got batch " +
                          std::to_string(batch) + ", iters " + std::to_string(iters) + ", warmup " +
                          std::to_string(warmup));
  if (height < 1 || width < 1)
    throw py::value_error("height and width must be >= 1, got " + std::to_string(height) + "x" +
                          std::to_string(width));
  BenchResult r;
  {
    py::gil_scoped_release nogil;
    r = m.benchmark(batch, iters, warmup, height, width);
  }
  py::dict d;
  d["arch"] = m.arch();
  d["batch"] = r.batch;
  d["threads"] = r.threads;
  d["iters"] = r.iters;
  d["input"] = py::make_tuple(r.height, r.width);
  d["median_ms"] = r.median_ms;
  d["min_ms"] = r.min_ms;
  d["max_ms"] = r.max_ms;
  d["images_per_s"] = r.batch * 1000.0 / r.median_ms;
  return d;
}

// Where compile() looks for micronet-compile, in order: $MICRONET_COMPILE, the build's bin/
// beside the package's folder (build/python/micronet_halide/_native*.so -> build/bin, as the
// CLI finds it beside itself), the package's folder. compile() then tries PATH.
std::vector<std::string> compiler_candidates() {
  std::vector<std::string> out;
  if (const char* e = std::getenv("MICRONET_COMPILE"); e && *e) out.push_back(e);
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&compiler_candidates), &info) && info.dli_fname) {
    const std::filesystem::path dir = std::filesystem::absolute(info.dli_fname).parent_path();
    out.push_back((dir.parent_path().parent_path() / "bin" / "micronet-compile").string());
    out.push_back((dir / "micronet-compile").string());
  }
  return out;
}

OnDemandCompiler python_compiler() {
  std::string exe = "micronet-compile";
  bool found = false;
  for (const std::string& c : compiler_candidates())
    if (access(c.c_str(), X_OK) == 0) {
      exe = c;
      found = true;
      break;
    }
  if (!found)
    if (const char* path = std::getenv("PATH"))
      for (std::string rest = path; !rest.empty();) {
        const size_t colon = rest.find(':');
        const std::string dir = rest.substr(0, colon);
        rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
        const std::string c = (dir.empty() ? "." : dir) + "/micronet-compile";
        if (access(c.c_str(), X_OK) == 0) {
          exe = c;
          break;
        }
      }
  return {exe, default_tuning_file()};
}


}  // namespace
}  // namespace micronet::bindings

// The native half of the micronet_halide package (bindings/micronet_halide/__init__.py
// re-exports it, with compile() from _compile.py).
PYBIND11_MODULE(_native, m) {
  namespace b = micronet::bindings;
  m.doc() =
      "MicroNet (M0..M3) compiled ahead of time with Halide, for the host CPU.\n\n"
      "    import micronet_halide as mh\n"
      "    model = mh.load('m0_fashion64.safetensors')   # arch, classes, input size,\n"
      "                                                  # preprocessing from its metadata\n"
      "    model = mh.load('m0', 'm0.pth', threads=2)     # or named, for files without it\n"
      "    logits = model(x)            # float32 N x 3 x H x W numpy array or CPU torch tensor\n"
      "    model.classify('photo.jpg')  # [Prediction(class_index, name, probability, logit)] (top 5)\n"
      "    model.benchmark(batch=1)     # {'median_ms': ..., 'images_per_s': ..., ...}\n\n"
      "Errors: FileNotFoundError for missing files; ValueError for wrong shapes, dtypes,\n"
      "ranks, channel counts, unknown archs or targets; RuntimeError for bad file contents\n"
      "and run errors such as NaN/Inf input (FormatError and RunError, both RuntimeError).";
  m.attr("__version__") = "0.1.0";

  // Later registrations win: both are RuntimeError subclasses.
  py::register_exception<micronet::FormatError>(m, "FormatError", PyExc_RuntimeError);
  py::register_exception<micronet::RunError>(m, "RunError", PyExc_RuntimeError);
  py::register_exception<micronet::PackageError>(m, "PackageError", PyExc_RuntimeError);

  // classify()'s rows: plain tuples (unpack them) with named fields.
  py::object prediction = py::module_::import("collections").attr("namedtuple")(
      "Prediction", py::make_tuple("class_index", "name", "probability", "logit"));
  prediction.attr("__module__") = "micronet_halide";
  prediction.attr("__doc__") =
      "One row of Model.classify(): class_index (int), name (str, or None when the weights\n"
      "file names no classes), probability (float, softmax over all classes), logit (float).";
  m.attr("Prediction") = prediction;

  py::class_<Model, std::shared_ptr<Model>>(m, "Model",
      "A loaded MicroNet. Create with micronet_halide.load(). Calls from several Python\n"
      "threads may run at once (the GIL is released while the model runs).")
      .def("__call__", &b::call, py::arg("x"),
           "Logits of a batch.\n\n"
           "x: float32 N x 3 x H x W (NCHW) numpy.ndarray or CPU torch.Tensor, any N >= 1 and\n"
           "any H, W the network can take (a model per input size is built on first use and\n"
           "cached). A C-contiguous native float32 input is read in place, without a copy;\n"
           "other layouts are copied first (see last_input_was_copied).\n"
           "Returns N x num_classes float32 of the same kind as x (numpy.ndarray or\n"
           "torch.Tensor). ValueError for a wrong dtype/rank/channel count/size, TypeError\n"
           "for other objects, RuntimeError (RunError) for NaN or Inf in x.")
      .def("classify", &b::classify, py::arg("image"), py::arg("topk") = 5,
           "Top-k classes of one image, best first: [Prediction(class_index, name,\n"
           "probability, logit), ...] (namedtuples; name None when the weights file names no\n"
           "classes; probability: softmax over all classes). The classes and logits are those\n"
           "`micronet classify --weights W IMAGE` prints.\n\n"
           "image: a path (str or os.PathLike) of a file OpenCV decodes, or a uint8\n"
           "numpy.ndarray / CPU torch.Tensor: H x W x 3 RGB (a greyscale model also takes\n"
           "H x W grey). Preprocessed as the weights file's metadata says (see metadata),\n"
           "exactly as `micronet classify` does.")
      .def("preprocess",
           [](Model& self, py::handle image) {
             return b::input_batch(b::preprocess_image(image, self.metadata()), self.input_h(),
                                   self.input_w());
           },
           py::arg("image"),
           "classify()'s input for an image: float32 1 x 3 x H x W, (H, W) = input_size.")
      .def("benchmark", &b::benchmark, py::arg("batch") = 1, py::arg("iters") = 100,
           py::arg("warmup") = 5, py::arg("height") = py::none(), py::arg("width") = py::none(),
           "Times `iters` runs (after `warmup` untimed ones) on N(0, 1) input, like\n"
           "`micronet bench`, at height x width (default: input_size). Returns {'median_ms',\n"
           "'min_ms', 'max_ms', 'images_per_s', 'batch', 'threads', 'iters', 'input', 'arch'}\n"
           "(wall-clock ms per call).")
      .def("arena_bytes",
           [](Model& self, int batch, std::optional<int> height, std::optional<int> width) {
             if (batch < 1) throw py::value_error("batch must be >= 1");
             py::gil_scoped_release nogil;
             return self.model_for(height.value_or(self.input_h()), width.value_or(self.input_w()))
                 ->arena_bytes(batch);
           },
           py::arg("batch") = 1, py::arg("height") = py::none(), py::arg("width") = py::none(),
           "Bytes of activation memory one run of `batch` images of height x width (default:\n"
           "input_size) needs.")
      .def_property_readonly("arch", &Model::arch,
                             "The network's name: 'm0'..'m3' for the built-in models, else the custom config's\n"
                             "name (its \"name\" field, as `micronet info --config` prints it).")
      .def_property_readonly("num_classes", &Model::num_classes, "Width of the logits.")
      .def_property_readonly("input_size",
                             [](const Model& self) { return py::make_tuple(self.input_h(), self.input_w()); },
                             "(H, W) the model was trained at and classify() feeds: the weights\n"
                             "file's input_height/input_width, (224, 224) when it names none.")
      .def_property_readonly("class_names",
                             [](const Model& self) { return self.metadata().class_names; },
                             "The weights file's class names, one per class ([] when it has none).")
      .def_property_readonly("metadata",
                             [](const Model& self) { return b::metadata_dict(self.metadata()); },
                             "What the weights file says about the model, with defaults filled in:\n"
                             "{'arch', 'num_classes', 'input_size', 'class_names', 'preprocess'\n"
                             "('grey3' or 'imagenet'), 'resize' (words), 'mean', 'std' (3 floats\n"
                             "each, per input channel, on [0, 1] values), 'extra' (other keys)}.")
      .def_property_readonly("target", &Model::target, "Where the model runs: 'host', 'opencl' or 'cuda'.")
      .def_property_readonly("threads", &Model::threads,
                             "Halide threads used while this model runs (Halide's pool is\n"
                             "process-wide; each model applies its count when it runs).")
      .def_property_readonly("source", &Model::source, "Where the weights came from.")
      .def_property_readonly("cached_sizes", &Model::cached_sizes,
                             "Input sizes (H, W) with a planned model, 224x224 first.")
      .def_property_readonly("last_input_was_copied",
                             [](const Model& self) { return self.last_input_was_copied.load(); },
                             "Whether the last __call__ had to copy its input (False: the\n"
                             "caller's buffer was read in place).")
      .def_property_readonly("last_input_address",
                             [](const Model& self) { return self.last_input_address.load(); },
                             "Address of the buffer the last __call__ read (compare with\n"
                             "x.ctypes.data or tensor.data_ptr() to check zero-copy).")
      .def("__repr__", [](const Model& self) {
        return "<micronet_halide.Model MicroNet-" + self.arch() + ", " +
               std::to_string(self.num_classes()) + " classes, " + std::to_string(self.input_h()) +
               "x" + std::to_string(self.input_w()) +
               (self.metadata().grey() ? " grey3" : " imagenet") + ", threads=" +
               std::to_string(self.threads()) + ", weights: " + self.source() + ">";
      });

  m.def("load", &b::load, py::arg("arch") = py::none(), py::arg("weights") = py::none(),
        py::arg("threads") = py::none(), py::arg("target") = py::none(), py::kw_only(),
        py::arg("num_classes") = py::none(), py::arg("seed") = b::kDefaultSeed,
        py::arg("package") = py::none(), py::arg("expect_sha256") = py::none(),
        "Load a MicroNet for `target` ('host', or a GPU API that targets() lists as compiled;\n"
        "one without a usable device raises RuntimeError). None: 'host', or a package's own\n"
        "target; a target other than the package's raises ValueError.\n\n"
        "weights: path of a safetensors file (from convert(), `micronet convert` or\n"
        "`micronet train`) or of a PyTorch .pth checkpoint (read by the restricted importer:\n"
        "nothing in it runs). None: random weights from `seed`, with a UserWarning.\n"
        "arch: 'm0'..'m3'; optional when the safetensors metadata names it, as it also gives\n"
        "the classes, class names, input size and preprocessing (see Model.metadata).\n"
        "load('x.safetensors') (a path as the only argument) is load(weights='x.safetensors').\n"
        "threads: Halide threads while this model runs (None: 1 on the host; on a GPU target,\n"
        "where they stage the input, the CPUs, at most 8).\n"
        "package: a model package folder (compile(), `micronet compile`): its network (any\n"
        "config), kernels and target, and its weights unless weights is given (none: random\n"
        "weights with a UserWarning). A package for another CPU architecture or features, a\n"
        "truncated or edited one, or one of another version raises PackageError (a\n"
        "RuntimeError) naming what differs. A package is code and loading it runs it:\n"
        "expect_sha256 (the SHA-256 of its manifest.json) refuses any other package.\n"
        "FileNotFoundError for a missing file; ValueError for an unknown arch or target, an\n"
        "arch that differs from the file's metadata, or no arch from either; RuntimeError\n"
        "(FormatError) for a bad file or weights that do not fit the architecture.");
  m.def("convert", &b::convert, py::arg("arch") = py::none(), py::arg("checkpoint") = py::none(),
        py::arg("out") = py::none(), py::kw_only(), py::arg("num_classes") = py::none(),
        py::arg("config") = py::none(),
        "Convert a PyTorch .pth checkpoint of MicroNet-`arch` ('m0'..'m3'), or of the network of\n"
        "config= (a config JSON file or dict, e.g. from `micronet search`), to safetensors at `out`,\n"
        "as `micronet convert` does: every tensor unchanged, metadata arch / format / num_classes /\n"
        "source, and a config's network (so load(out) finds it). Atomic: nothing is left at `out`\n"
        "on failure. ValueError for both or neither of arch and config, or a bad config.");
  m.def("info", &b::info, py::arg("arch") = py::none(), py::arg("height") = py::none(),
        py::arg("width") = py::none(), py::kw_only(), py::arg("num_classes") = py::none(),
        py::arg("config") = py::none(),
        "Cost report of MicroNet-`arch` ('m0'..'m3'), or of the network of config= (a config JSON\n"
        "file or dict), at height x width (default: the network's input size, 224 for M0..M3):\n"
        "{'arch', 'input', 'num_classes', 'params', 'madds', 'layers': [{'block', 'op', 'key',\n"
        "'params', 'madds', 'conv_madds', 'linear_madds', 'shiftmax_madds'}, ...]} (as\n"
        "`micronet info --json`).");
  m.def("_check_config", [](const py::object& config) { b::config_arg(config); }, py::arg("config"),
        "Raises ValueError naming the dict (or file) when config is not a valid network config.");
  m.def("preprocess",
        [](py::handle image) {
          return b::input_batch(b::preprocess_image(image, b::imagenet_metadata("", -1)), 224, 224);
        },
        py::arg("image"),
        "ImageNet preprocessing (shorter side to 256, centre crop 224, ImageNet mean/std) of a\n"
        "path or an H x W x 3 uint8 RGB array -> float32 1 x 3 x 224 x 224: the input of\n"
        "models without preprocessing metadata. Model.preprocess() follows a model's file.");
  m.def("_compiler_candidates", &b::compiler_candidates,
        "Paths compile() tries for micronet-compile, in order (then PATH).");
  m.def("archs", &micronet::known_archs, "The architectures load() accepts.");
  m.def("targets", &b::targets_dict,
        "{target: {'compiled', 'runnable', 'kernels', 'reason'}} for 'host', 'opencl' and\n"
        "'cuda': whether this build compiled kernels for it (load() accepts it), whether it can\n"
        "run on this machine (a tiny device allocation succeeds, as `micronet targets`\n"
        "checks), its kernel count, and why not ('' when runnable).");
}
