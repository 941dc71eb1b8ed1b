"""MicroNet (M0..M3) compiled ahead of time with Halide, for the host CPU.

    model = load("micronet_m0_fashion64.safetensors")  # arch, classes, input size and
                                                         # preprocessing from the file
    model.classify("ankle_boot.png")[0]  # Prediction(class_index=9, name='Ankle boot', ...)

Errors: FileNotFoundError for missing files; ValueError for wrong shapes, dtypes, ranks,
channel counts, unknown archs or targets; RuntimeError for bad file contents and run errors
such as NaN/Inf input (FormatError and RunError are RuntimeError subclasses).
"""
import os
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, TypedDict, Union, overload

import numpy as np
import numpy.typing as npt

try:
    import torch
    _Tensor = torch.Tensor
except ImportError:  # pragma: no cover
    _Tensor = Any  # type: ignore

_Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__version__: str

class FormatError(RuntimeError):
    """A weights / checkpoint / image file that cannot be read or does not fit the model."""

class RunError(RuntimeError):
    """A run that cannot proceed (e.g. NaN or Inf in the input, a kernel missing from the build)."""

class PackageError(RuntimeError):
    """A model package the runtime refuses, naming what differs: another CPU architecture or
    features, a truncated or edited library or manifest, another project version."""

class Prediction(NamedTuple):
    """One row of Model.classify(), as `micronet classify` prints it plus the probability."""
    class_index: int
    name: Optional[str]   # the weights file's class name; None when it names no classes
    probability: float    # softmax over all classes
    logit: float

class Metadata(TypedDict):
    """Model.metadata: what the weights file says, with defaults filled in."""
    arch: str
    num_classes: int
    input_size: Tuple[int, int]   # (H, W); (224, 224) when the file names none
    class_names: List[str]        # [] when the file names none
    preprocess: str               # 'grey3' (greyscale, 3 channels) or 'imagenet' (RGB)
    resize: str                   # in words, e.g. 'bilinear, whole image to 64x64, ...'
    mean: List[float]             # per input channel, on values scaled to [0, 1]
    std: List[float]
    extra: Dict[str, str]         # every other metadata key (dataset, test_accuracy, ...)

class TargetInfo(TypedDict):
    compiled: bool   # this build has kernels for it: load(target=...) accepts it
    runnable: bool   # and a device answers on this machine
    kernels: int
    reason: str      # why not runnable ('' when it is)

class Model:
    """A loaded MicroNet. Create with load(). Thread-safe; the GIL is released while it runs."""

    @overload
    def __call__(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]: ...
    @overload
    def __call__(self, x: "_Tensor") -> "_Tensor": ...
    def __call__(self, x: Any) -> Any:
        """float32 N x 3 x H x W (numpy or CPU torch) -> N x num_classes logits of the same kind.

        C-contiguous native float32 input is read in place (no copy); other layouts are copied.
        Any H, W the network can take: a model per input size is planned and cached.
        """
    def classify(self, image: Union[_Path, npt.NDArray[np.uint8], "_Tensor"],
                 topk: int = 5) -> List[Prediction]:
        """Top-k of one image, best first: the classes and logits `micronet classify` prints.

        image: a path, or a uint8 H x W x 3 RGB array (a 'grey3' model also takes H x W grey).
        Preprocessed as metadata['preprocess'] says, exactly as the CLI does.
        """
    def preprocess(self, image: Union[_Path, npt.NDArray[np.uint8], "_Tensor"]) -> npt.NDArray[np.float32]:
        """classify()'s input: float32 1 x 3 x H x W, (H, W) = input_size."""
    def benchmark(self, batch: int = 1, iters: int = 100, warmup: int = 5,
                  height: Optional[int] = None, width: Optional[int] = None) -> Dict[str, Any]:
        """{'median_ms', 'min_ms', 'max_ms', 'images_per_s', 'batch', 'threads', 'iters', 'input', 'arch'}.
        height/width default to input_size."""
    def arena_bytes(self, batch: int = 1, height: Optional[int] = None, width: Optional[int] = None) -> int:
        """Activation memory of one run (height/width default to input_size)."""
    @property
    def arch(self) -> str:
        """The network's name: 'm0'..'m3', else the custom config's "name"."""
    @property
    def num_classes(self) -> int: ...
    @property
    def input_size(self) -> Tuple[int, int]:
        """(H, W) from the weights file's metadata ((224, 224) when it names none): what classify() feeds."""
    @property
    def class_names(self) -> List[str]:
        """The weights file's class names ([] when it names none)."""
    @property
    def metadata(self) -> Metadata: ...
    @property
    def threads(self) -> int: ...
    @property
    def target(self) -> str: ...
    @property
    def source(self) -> str:
        """Where the weights came from."""
    @property
    def cached_sizes(self) -> List[Tuple[int, int]]:
        """Input sizes (H, W) with a planned model, input_size first."""
    @property
    def last_input_was_copied(self) -> bool:
        """Whether the last __call__ copied its input."""
    @property
    def last_input_address(self) -> int:
        """Address of the buffer the last __call__ read."""

def load(arch: Union[str, _Path, None] = None, weights: Optional[_Path] = None, threads: Optional[int] = None,
         target: Optional[str] = None, *, num_classes: Optional[int] = None, seed: int = 2021,
         package: Optional[_Path] = None, expect_sha256: Optional[str] = None) -> Model:
    """A MicroNet with weights from a safetensors file or a .pth checkpoint (None: random
    weights of `arch`, with a UserWarning). arch is optional when the safetensors metadata names
    it (it also gives classes, class names, input size, preprocessing); a path as the only
    argument is the weights. ValueError when arch differs from the file's metadata or neither
    names one. target: 'host' or a GPU API that targets() lists as compiled (RuntimeError when
    no usable device); None: 'host', or the package's own; another than the package's: ValueError. package: a model package folder (compile(), `micronet compile`): its
    network, kernels, target and weights (unless weights is given); PackageError when refused."""

def compile(arch: Optional[str] = None, config: Union[_Path, Dict[str, Any], None] = None, *, out: _Path,
            target: str = "host", size: Union[int, Tuple[int, int], str, None] = None,
            classes: Optional[int] = None, tuning: Optional[_Path] = None, weights: Optional[_Path] = None,
            jobs: Optional[int] = None, cache_dir: Optional[_Path] = None, generators: Optional[_Path] = None,
            quiet: bool = False) -> str:
    """`micronet compile` (runs micronet-compile: $MICRONET_COMPILE, the build's bin/ beside this
    module's folder, else PATH): a network (arch 'm0'..'m3', or config: a JSON file or dict) for
    a target into a package folder, returned absolute. ValueError for bad arguments,
    RuntimeError when compiling fails, FileNotFoundError when micronet-compile is missing."""

def convert(arch: Optional[str] = None, checkpoint: Optional[_Path] = None, out: Optional[_Path] = None, *,
            num_classes: Optional[int] = None, config: Union[_Path, Dict[str, Any], None] = None) -> None:
    """.pth checkpoint -> safetensors (tensors unchanged, metadata arch/format/num_classes/source;
    with config= (a JSON file or dict) the network's config too). One of arch and config."""

def info(arch: Optional[str] = None, height: Optional[int] = None, width: Optional[int] = None, *,
         num_classes: Optional[int] = None, config: Union[_Path, Dict[str, Any], None] = None) -> Dict[str, Any]:
    """{'arch', 'input', 'num_classes', 'params', 'madds', 'layers': [per-op dicts]} of arch or
    config= (a JSON file or dict), at the network's input size unless height/width are given."""

def preprocess(image: Union[_Path, npt.NDArray[np.uint8], "_Tensor"]) -> npt.NDArray[np.float32]:
    """ImageNet preprocessing (shorter side 256, centre crop 224, ImageNet mean/std) -> float32
    1 x 3 x 224 x 224: what a model without preprocessing metadata gets. Model.preprocess()
    follows a model's weights file."""

def archs() -> List[str]:
    """Architectures load() accepts."""

def targets() -> Dict[str, TargetInfo]:
    """'host', 'opencl', 'cuda' -> whether compiled into this build (load() accepts it) and
    whether runnable here (a tiny device allocation succeeds, as `micronet targets` checks)."""
