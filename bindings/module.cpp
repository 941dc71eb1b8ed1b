// micronet_halide: the Python module of the MicroNet Halide runtime.
//
//   m = micronet_halide.load("m0", "m0.safetensors", threads=2)
//   logits = m(x)                       # float32 N x 3 x H x W numpy / torch -> N x classes
//   m.classify("photo.jpg", topk=5)     # [(class, logit), ...]
//   m.benchmark(batch=1, iters=100)     # {"median_ms": ..., ...}
//
// Errors: FileNotFoundError (missing file), ValueError (bad shape / dtype / rank / channel
// count / arch / target / argument), RuntimeError (bad file contents, run errors such as
// non-finite input; micronet_halide.FormatError and RunError are its subclasses).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "bindings/array_io.h"
#include "bindings/model.h"
#include "models/checkpoint/checkpoint_import.h"
#include "runtime/device_targets.h"
#include "models/config.h"
#include "models/cost.h"
#include "models/plan.h"
#include "models/random_weights.h"
#include "models/state_dict_layout.h"
#include "runtime/halide_model.h"
#include "runtime/safetensors.h"

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

// A PyTorch zip checkpoint (by content or by name), else safetensors.
bool is_torch_checkpoint(const std::string& path) {
  auto ends_with = [&](const char* s) {
    const std::string suf(s);
    return path.size() >= suf.size() && path.compare(path.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends_with(".pth") || ends_with(".pt") || ends_with(".tar")) return true;
  char magic[4] = {0, 0, 0, 0};
  std::ifstream f(path, std::ios::binary);
  f.read(magic, 4);
  return f.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

std::shared_ptr<Model> load(const std::string& arch, const py::object& weights, int threads,
                            const std::string& target, const py::object& num_classes, uint64_t seed) {
  const ModelConfig& cfg = config_of(arch);
  check_target(target);
  if (threads < 1) throw py::value_error("threads must be >= 1, got " + std::to_string(threads));
  int classes = classes_arg(num_classes);
  if (weights.is_none()) {
    const std::string msg = "micronet_halide.load('" + arch + "'): no weights given, using RANDOM "
                            "weights (seed " + std::to_string(seed) + "); outputs are meaningless";
    if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) != 0) throw py::error_already_set();
    py::gil_scoped_release nogil;
    const ModelPlan plan = plan_model(cfg, Model::kDefaultSize, Model::kDefaultSize, classes);
    return std::make_shared<Model>(arch, random_weights(plan, seed),
                                   "random weights (seed " + std::to_string(seed) + ")", classes, threads, target);
  }
  const std::string path = existing_file(weights, "weights file");
  py::gil_scoped_release nogil;
  TensorMap w;
  if (is_torch_checkpoint(path)) {
    w = load_torch_checkpoint(path);
  } else {
    std::map<std::string, std::string> meta;
    w = read_safetensors(path, &meta);
    auto it = meta.find("num_classes");
    if (classes < 0 && it != meta.end()) {
      try {
        classes = std::stoi(it->second);
      } catch (const std::exception&) {
        throw FormatError(path + ": metadata num_classes is not a number: '" + it->second + "'");
      }
    }
  }
  return std::make_shared<Model>(arch, std::move(w), path + " (as MicroNet-" + arch + ")", classes,
                                 threads, target);
}

void convert(const std::string& arch, const py::object& checkpoint, const py::object& out,
             const py::object& num_classes) {
  const ModelConfig& cfg = config_of(arch);
  const int classes = classes_arg(num_classes);
  const std::string in = existing_file(checkpoint, "checkpoint");
  const std::string out_path = path_string(out);
  py::gil_scoped_release nogil;
  const ModelPlan plan = plan_model(cfg, 224, 224, classes);
  TensorMap w = load_torch_checkpoint(in);
  validate_state_dict(w, state_dict_layout(plan), in + " (as MicroNet-" + arch + ")");
  write_safetensors(out_path, w, {{"arch", arch}, {"format", "micronet-official-state-dict"},
                                  {"num_classes", std::to_string(plan.num_classes)},
                                  {"source", in}});
}

py::dict info(const std::string& arch, int height, int width, const py::object& num_classes) {
  const ModelPlan plan = plan_model(config_of(arch), height, width, classes_arg(num_classes));
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

py::list classify(Model& m, py::handle image, int topk) {
  if (topk < 1) throw py::value_error("topk must be >= 1, got " + std::to_string(topk));
  const std::vector<float> x = preprocess_image(image);
  std::vector<float> logits;
  {
    py::gil_scoped_release nogil;
    logits = m.run(x.data(), 1, Model::kDefaultSize, Model::kDefaultSize);
  }
  const int k = std::min(topk, m.num_classes());
  std::vector<int> idx(m.num_classes());
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int p, int q) { return logits[p] > logits[q] || (logits[p] == logits[q] && p < q); });
  py::list out;
  for (int i = 0; i < k; ++i) out.append(py::make_tuple(idx[i], logits[idx[i]]));
  return out;
}

py::dict benchmark(Model& m, int batch, int iters, int warmup, int height, int width) {
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

}  // namespace
}  // namespace micronet::bindings

PYBIND11_MODULE(micronet_halide, m) {
  namespace b = micronet::bindings;
  m.doc() =
      "MicroNet (M0..M3) compiled ahead of time with Halide, for the host CPU.\n\n"
      "    import micronet_halide as mh\n"
      "    model = mh.load('m0', 'm0.safetensors', threads=2)   # or a .pth checkpoint\n"
      "    logits = model(x)            # float32 N x 3 x H x W numpy array or CPU torch tensor\n"
      "    model.classify('photo.jpg')  # [(class_index, logit), ...] (top 5)\n"
      "    model.benchmark(batch=1)     # {'median_ms': ..., 'images_per_s': ..., ...}\n\n"
      "Errors: FileNotFoundError for missing files; ValueError for wrong shapes, dtypes,\n"
      "ranks, channel counts, unknown archs or targets; RuntimeError for bad file contents\n"
      "and run errors such as NaN/Inf input (FormatError and RunError, both RuntimeError).";
  m.attr("__version__") = "0.1.0";

  // Later registrations win: both are RuntimeError subclasses.
  py::register_exception<micronet::FormatError>(m, "FormatError", PyExc_RuntimeError);
  py::register_exception<micronet::RunError>(m, "RunError", PyExc_RuntimeError);

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
           "Top-k classes of one image: [(class_index, logit), ...], best first.\n\n"
           "image: a path (str or os.PathLike) of a file OpenCV decodes, or an H x W x 3 uint8\n"
           "RGB numpy.ndarray. Preprocessed as `micronet classify` does (shorter side to 256,\n"
           "bilinear; centre crop 224; ImageNet mean/std).")
      .def("benchmark", &b::benchmark, py::arg("batch") = 1, py::arg("iters") = 100,
           py::arg("warmup") = 5, py::arg("height") = 224, py::arg("width") = 224,
           "Times `iters` runs (after `warmup` untimed ones) on N(0, 1) input, like\n"
           "`micronet bench`. Returns {'median_ms', 'min_ms', 'max_ms', 'images_per_s',\n"
           "'batch', 'threads', 'iters', 'input', 'arch'} (wall-clock ms per call).")
      .def("arena_bytes",
           [](Model& self, int batch, int height, int width) {
             if (batch < 1) throw py::value_error("batch must be >= 1");
             py::gil_scoped_release nogil;
             return self.model_for(height, width)->arena_bytes(batch);
           },
           py::arg("batch") = 1, py::arg("height") = 224, py::arg("width") = 224,
           "Bytes of activation memory one run of `batch` images of height x width needs.")
      .def_property_readonly("arch", &Model::arch, "'m0'..'m3'.")
      .def_property_readonly("num_classes", &Model::num_classes, "Width of the logits.")
      .def_property_readonly("input_size",
                             [](const Model&) { return py::make_tuple(Model::kDefaultSize, Model::kDefaultSize); },
                             "(H, W) the network was designed for and classify() feeds: (224, 224).")
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
               std::to_string(self.num_classes()) + " classes, threads=" +
               std::to_string(self.threads()) + ", weights: " + self.source() + ">";
      });

  m.def("load", &b::load, py::arg("arch"), py::arg("weights") = py::none(), py::arg("threads") = 1,
        py::arg("target") = "host", py::kw_only(), py::arg("num_classes") = py::none(),
        py::arg("seed") = b::kDefaultSeed,
        "Load MicroNet-`arch` ('m0'..'m3') for `target` ('host', or a GPU API of targets();\n"
        "a GPU target without a usable device raises RuntimeError).\n\n"
        "weights: path of a safetensors file (from convert() or `micronet convert`) or of a\n"
        "PyTorch .pth checkpoint (read by the restricted importer: nothing in it runs).\n"
        "None: random weights from `seed`, with a UserWarning.\n"
        "threads: Halide threads while this model runs.\n"
        "FileNotFoundError for a missing file, RuntimeError (FormatError) for a bad one or\n"
        "weights of another architecture, ValueError for an unknown arch or target.");
  m.def("convert", &b::convert, py::arg("arch"), py::arg("checkpoint"), py::arg("out"),
        py::kw_only(), py::arg("num_classes") = py::none(),
        "Convert a PyTorch .pth checkpoint of MicroNet-`arch` to safetensors at `out`, as\n"
        "`micronet convert` does: every tensor unchanged, metadata arch / format /\n"
        "num_classes / source. Atomic: nothing is left at `out` on failure.");
  m.def("info", &b::info, py::arg("arch"), py::arg("height") = 224, py::arg("width") = 224,
        py::kw_only(), py::arg("num_classes") = py::none(),
        "Cost report of MicroNet-`arch` at height x width: {'arch', 'input', 'num_classes',\n"
        "'params', 'madds', 'layers': [{'block', 'op', 'key', 'params', 'madds',\n"
        "'conv_madds', 'linear_madds', 'shiftmax_madds'}, ...]} (as `micronet info --json`).");
  m.def("preprocess",
        [](py::handle image) {
          std::vector<float> x = b::preprocess_image(image);
          const py::ssize_t s = Model::kDefaultSize;
          auto* owned = new std::vector<float>(std::move(x));
          py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
          return py::array_t<float>({py::ssize_t(1), py::ssize_t(3), s, s}, owned->data(), owner);
        },
        py::arg("image"),
        "The preprocessing of classify(): a path or an H x W x 3 uint8 RGB array ->\n"
        "float32 1 x 3 x 224 x 224.");
  m.def("archs", &micronet::known_archs, "The architectures load() accepts.");
  m.def("targets", &b::valid_targets, "The targets load() accepts in this build.");
}
