"""micronet_halide.compile(): the CLI's `micronet compile` from Python. It runs
micronet-compile (which links the Halide compiler and runs the build's generators) and
passes its progress lines on to sys.stderr."""
import json as _json
import os as _os
import shutil as _shutil
import subprocess as _sp
import sys as _sys
import tempfile as _tf

from ._native import _check_config, _compiler_candidates

__all__ = ["compile"]


def compile(arch=None, config=None, *, out, target="host", size=None, classes=None, tuning=None,
            weights=None, jobs=None, cache_dir=None, generators=None, quiet=False):
    """Compile a network for a target into a model package (as `micronet compile`; the
    arguments are its flags) and return the package folder (absolute). Load it with
    load(package=...).

    arch: 'm0'..'m3', or config: a config JSON file (models/configs/ has M0..M3) or a dict
    of that schema. out: the package folder. target: 'host', 'x86-64-linux-avx2',
    'x86-64-linux-avx512', 'arm-64-linux', 'arm-64-android', 'opencl', 'cuda' or another
    Halide target string. size: int, (H, W) or 'HxW' the schedules are estimated for
    (default: the config's). classes: the head's classes (default: the weights', else the
    config's). tuning: tuning records laid over the build's schedules/tuning_db.txt (a kernel
    they name takes their record; a `micronet tune` database or tuning_db.txt lines).
    weights: a .safetensors file checked against the network and copied into the package.
    jobs: generators run at once (default: the cores). cache_dir: the compiled-kernel cache
    (default: $MICRONET_CACHE_DIR, else ~/.cache/micronet). generators: the folder of the
    generator executables. quiet: no progress lines (otherwise one per kernel on stderr).

    Runs micronet-compile: $MICRONET_COMPILE, else the build's bin/ beside this module's
    folder, else PATH. ValueError for bad arguments (as the CLI's usage errors: exit 2),
    RuntimeError when compiling fails (with the compiler's output), FileNotFoundError when
    micronet-compile is missing.
    """
    if (arch is None) == (config is None):
        raise ValueError("compile() needs one network: arch ('m0'..'m3') or config (a JSON file or dict)")
    exe = None
    for c in _compiler_candidates():
        if _os.path.isfile(c) and _os.access(c, _os.X_OK):
            exe = c
            break
    exe = exe or _shutil.which("micronet-compile")
    if exe is None:
        raise FileNotFoundError("micronet_halide.compile() runs micronet-compile, which was not found (looked at "
                                + ", ".join(_compiler_candidates()) + " and PATH): it is built by host builds "
                                "(build/bin/micronet-compile); set MICRONET_COMPILE to its path")
    tmp = None
    argv = [exe]
    try:
        if arch is not None:
            argv += ["--arch", str(arch)]
        elif isinstance(config, dict):
            # Checked here first, so an error names the dict ("config dict: name: missing"),
            # not the temporary file micronet-compile reads it from.
            _check_config(config)
            tmp = _tf.NamedTemporaryFile("w", suffix=".json", delete=False)
            _json.dump(config, tmp)
            tmp.close()
            argv += ["--config", tmp.name]
        else:
            argv += ["--config", _os.fsdecode(config)]
        argv += ["--target", str(target), "--out", _os.fsdecode(out)]
        if size is not None:
            if isinstance(size, int):
                size = "%dx%d" % (size, size)
            elif not isinstance(size, str):
                size = "%dx%d" % tuple(size)
            argv += ["--size", size]
        for flag, v in (("--classes", classes), ("--jobs", jobs)):
            if v is not None:
                argv += [flag, str(int(v))]
        for flag, v in (("--tuning", tuning), ("--weights", weights), ("--cache-dir", cache_dir),
                        ("--generators", generators)):
            if v is not None:
                argv += [flag, _os.fsdecode(v)]
        p = _sp.Popen(argv, stdout=_sp.PIPE, stderr=_sp.STDOUT, text=True, errors="replace")
        lines = []
        for line in p.stdout:
            lines.append(line)
            if not quiet:
                _sys.stderr.write(line)
                _sys.stderr.flush()
        rc = p.wait()
    finally:
        if tmp is not None:
            _os.unlink(tmp.name)
    if rc != 0:
        text = "".join(lines[-40:]).strip()
        if tmp is not None:
            text = text.replace(tmp.name, "config dict")
        msg = "micronet-compile failed (exit %d): %s" % (rc, text)
        raise ValueError(msg) if rc == 2 else RuntimeError(msg)
    return _os.path.abspath(_os.fsdecode(out))
