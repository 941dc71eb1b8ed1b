#include "bindings/array_io.h"

#include <cerrno>
#include <cstring>
#include <filesystem>


namespace micronet::bindings {

namespace {

[[noreturn]] void raise_os_error(PyObject* type, int err, const std::string& what,
                                 const std::string& path) {
  // FileNotFoundError(errno, strerror, filename): str() is "[Errno 2] <what>: '<path>'".
  py::object e = py::reinterpret_borrow<py::object>(type)(err, what, path);
  PyErr_SetObject(type, e.ptr());
  throw py::error_already_set();
}

std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

bool aligned(const py::array& a) { return a.attr("flags").attr("aligned").cast<bool>(); }

// A CPU torch.Tensor of dtype `want` (e.g. "float32") as a numpy array sharing its memory.
// Sparse or other non-strided layouts become a dense copy (*copied = true).
py::array torch_as_numpy(py::handle t, const char* want, const char* hint, bool* copied) {
  py::module_ torch = py::module_::import("torch");
  const std::string device = py::str(t.attr("device")).cast<std::string>();
  if (py::str(t.attr("device").attr("type")).cast<std::string>() != "cpu")
    throw py::value_error("expected a CPU tensor, got one on device '" + device +
                          "' (move it with .cpu())");
  if (!t.attr("dtype").equal(torch.attr(want)))
    throw py::value_error("expected dtype torch." + std::string(want) + ", got " +
                          py::str(t.attr("dtype")).cast<std::string>() + " (convert with " + hint + ")");
  py::object dense = py::reinterpret_borrow<py::object>(t);
  if (!dense.attr("layout").equal(torch.attr("strided"))) {
    dense = dense.attr("to_dense")();
    *copied = true;
  }
  // .numpy() shares the tensor's storage (strides included); detach() drops autograd.
  return dense.attr("detach")().attr("numpy")().cast<py::array>();
}

}  // namespace

bool is_path_like(py::handle obj) {
  return py::isinstance<py::str>(obj) || py::isinstance<py::bytes>(obj) ||
         py::hasattr(obj, "__fspath__");
}

std::string path_string(py::handle obj) {
  if (!is_path_like(obj))
    throw py::type_error("expected a path (str, bytes or os.PathLike), got " +
                         py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>());
  return py::module_::import("os").attr("fsdecode")(obj).cast<std::string>();
}

std::string existing_file(py::handle obj, const std::string& what) {
  const std::string path = path_string(obj);
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) raise_os_error(PyExc_FileNotFoundError, ENOENT, what + " not found", path);
  if (std::filesystem::is_directory(st))
    raise_os_error(PyExc_IsADirectoryError, EISDIR, what + " is a directory, not a file", path);
  return path;
}

bool is_torch_tensor(py::handle obj) {
  // A torch.Tensor can only exist once torch is imported: never import it here.
  py::dict modules = py::module_::import("sys").attr("modules");
  if (!modules.contains("torch")) return false;
  py::object torch = modules["torch"];
  if (!py::hasattr(torch, "Tensor")) return false;  // torch half-imported
  return py::isinstance(obj, torch.attr("Tensor"));
}

FloatInput nchw_float32(py::handle x) {
  FloatInput in;
  py::array a;
  if (is_torch_tensor(x)) {
    in.torch = true;
    a = torch_as_numpy(x, "float32", "x.float()", &in.copied);
  } else if (py::isinstance<py::array>(x)) {
    a = py::reinterpret_borrow<py::array>(x);
  } else {
    throw py::type_error("expected a float32 N x 3 x H x W numpy.ndarray or torch.Tensor, got " +
                         py::str(py::type::handle_of(x).attr("__name__")).cast<std::string>());
  }
  const py::dtype dt = a.dtype();
  if (dt.kind() != 'f' || dt.itemsize() != 4)
    throw py::value_error("expected dtype float32, got " + dtype_str(a) +
                          " (convert with x.astype(numpy.float32))");
  if (a.ndim() != 4)
    throw py::value_error("expected a 4-D float32 N x 3 x H x W (NCHW) array, got " +
                          std::to_string(a.ndim()) + "-D shape " + shape_str(a) +
                          (a.ndim() == 3 ? " (add the batch dimension with x[None])" : ""));
  if (a.shape(1) != 3)
    throw py::value_error("expected 3 channels (RGB) in dimension 1 of N x 3 x H x W, got shape " +
                          shape_str(a) +
                          (a.shape(3) == 3 ? " (NHWC? use x.transpose(0, 3, 1, 2))" : ""));
  if (a.shape(0) < 1 || a.shape(2) < 1 || a.shape(3) < 1)
    throw py::value_error("empty input: shape " + shape_str(a));
  if (a.shape(0) > INT32_MAX || a.shape(2) > INT32_MAX || a.shape(3) > INT32_MAX)
    throw py::value_error("input too large: shape " + shape_str(a));
  // Zero-copy when the buffer already is what the kernels read: C order, native float32,
  // aligned. Anything else (strided views, Fortran order, '>f4') becomes a C-order copy.
  const bool usable = dt.equal(py::dtype::of<float>()) && (a.flags() & py::array::c_style) && aligned(a);
  if (!usable) {
    auto c = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!c) throw py::error_already_set();
    a = c;
    in.copied = true;
  }
  in.array = a;
  in.batch = int(a.shape(0));
  in.height = int(a.shape(2));
  in.width = int(a.shape(3));
  return in;
}

py::object logits_object(std::vector<float>&& logits, int rows, int cols, bool torch) {
  auto* owned = new std::vector<float>(std::move(logits));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  py::array_t<float> out({py::ssize_t(rows), py::ssize_t(cols)}, owned->data(), owner);
  if (!torch) return std::move(out);
  return py::module_::import("torch").attr("from_numpy")(out);
}

ImageArray uint8_image(py::handle image, bool grey_ok) {
  const char* want = grey_ok ? "an H x W (grey) or H x W x 3 (RGB) uint8 image" : "an H x W x 3 uint8 RGB image";
  py::array a;
  bool copied = false;
  if (is_torch_tensor(image)) {
    a = torch_as_numpy(image, "uint8", "x.to(torch.uint8)", &copied);
  } else if (py::isinstance<py::array>(image)) {
    a = py::reinterpret_borrow<py::array>(image);
  } else {
    throw py::type_error(std::string("expected an image path or ") + want + " numpy.ndarray, got " +
                         py::str(py::type::handle_of(image).attr("__name__")).cast<std::string>());
  }
  if (!a.dtype().equal(py::dtype::of<uint8_t>()))
    throw py::value_error(std::string("expected ") + want + ", got dtype " + dtype_str(a) +
                          " (convert 0..255 data with img.astype(numpy.uint8))");
  const bool rgb = a.ndim() == 3 && a.shape(2) == 3;
  const bool grey = grey_ok && (a.ndim() == 2 || (a.ndim() == 3 && a.shape(2) == 1));
  if (!rgb && !grey)
    throw py::value_error(std::string("expected ") + want + ", got shape " + shape_str(a) +
                          (a.ndim() == 3 && a.shape(2) == 4 ? " (drop the alpha channel: img[..., :3])"
                           : a.ndim() == 2 && !grey_ok     ? " (grayscale? stack it: numpy.dstack([img] * 3))"
                                                           : ""));
  if (a.shape(0) < 1 || a.shape(1) < 1) throw py::value_error("empty image: shape " + shape_str(a));
  if (a.shape(0) > INT32_MAX || a.shape(1) > INT32_MAX)
    throw py::value_error("image too large: shape " + shape_str(a));
  if (!(a.flags() & py::array::c_style)) {
    auto c = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!c) throw py::error_already_set();
    a = c;
  }
  ImageArray out;
  out.array = a;
  out.height = int(a.shape(0));
  out.width = int(a.shape(1));
  out.channels = rgb ? 3 : 1;
  return out;
}

}  // namespace micronet::bindings
