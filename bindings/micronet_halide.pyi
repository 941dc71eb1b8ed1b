"""MicroNet (M0..M3) compiled ahead of time with Halide, for the host CPU.

Errors: FileNotFoundError for missing files; ValueError for wrong shapes, dtypes, ranks,
channel counts, unknown archs or targets; RuntimeError for bad file contents and run errors
such as NaN/Inf input (FormatError and RunError are RuntimeError subclasses).
"""
import os
from typing import Any, Dict, List, Optional, Tuple, Union, overload

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
    def classify(self, image: Union[_Path, npt.NDArray[np.uint8]], topk: int = 5) -> List[Tuple[int, float]]:
        """Top-k (class_index, logit) of one image (a path or an H x W x 3 uint8 RGB array), best first."""
    def benchmark(self, batch: int = 1, iters: int = 100, warmup: int = 5, height: int = 224,
                  width: int = 224) -> Dict[str, Any]:
        """{'median_ms', 'min_ms', 'max_ms', 'images_per_s', 'batch', 'threads', 'iters', 'input', 'arch'}."""
    def arena_bytes(self, batch: int = 1, height: int = 224, width: int = 224) -> int:
        """Activation memory of one run."""
    @property
    def arch(self) -> str: ...
    @property
    def num_classes(self) -> int: ...
    @property
    def input_size(self) -> Tuple[int, int]:
        """(224, 224): the size the network was designed for and classify() feeds."""
    @property
    def threads(self) -> int: ...
    @property
    def target(self) -> str: ...
    @property
    def source(self) -> str:
        """Where the weights came from."""
    @property
    def cached_sizes(self) -> List[Tuple[int, int]]:
        """Input sizes (H, W) with a planned model, (224, 224) first."""
    @property
    def last_input_was_copied(self) -> bool:
        """Whether the last __call__ copied its input."""
    @property
    def last_input_address(self) -> int:
        """Address of the buffer the last __call__ read."""

def load(arch: str, weights: Optional[_Path] = None, threads: int = 1, target: str = "host", *,
         num_classes: Optional[int] = None, seed: int = 2021) -> Model:
    """MicroNet-`arch` with weights from a safetensors file or a .pth checkpoint (None: random
    weights, with a UserWarning). target: 'host' or a GPU API listed by targets() ('opencl', 'cuda';
    RuntimeError when no usable device)."""

def convert(arch: str, checkpoint: _Path, out: _Path, *, num_classes: Optional[int] = None) -> None:
    """.pth checkpoint -> safetensors (tensors unchanged, metadata arch/format/num_classes/source)."""

def info(arch: str, height: int = 224, width: int = 224, *,
         num_classes: Optional[int] = None) -> Dict[str, Any]:
    """{'arch', 'input', 'num_classes', 'params', 'madds', 'layers': [per-op dicts]}."""

def preprocess(image: Union[_Path, npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
    """classify()'s preprocessing: -> float32 1 x 3 x 224 x 224."""

def archs() -> List[str]:
    """Architectures load() accepts."""

def targets() -> List[str]:
    """Targets load() accepts in this build."""
