"""The compiled request path: which modules it is, whether they run compiled,
and the switch that runs their sources instead.

A build with extensions compiles the modules in ``MODULES`` from their own
.py files (setup.py) and installs both side by side; Python's import system
then prefers the compiled one.  ``POOL_NO_EXTENSIONS`` set at run time (or an
interpreter other than CPython) means "no compiled code": the wire layer
takes its pure-Python twin (pool/_wire.py), and the finder below makes
these modules load from their .py files too, so a twin run exercises
nothing compiled and profilers and tracers see every function.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import platform
import sys
import types
import typing

#: The modules a request runs through, compiled when extensions are built;
#: setup.py's REQUEST_PATH names the same ones.
MODULES = ("pool._request_methods", "pool.connection", "pool.connectionpool", "pool.poolmanager", "pool.response")


def sources_wanted() -> bool:
    """True when no compiled code should run: the rule pool/_wire.py applies
    to the wire core."""
    return bool(os.environ.get("POOL_NO_EXTENSIONS")) or platform.python_implementation() != "CPython"


class _CompiledWithSource(importlib.machinery.ExtensionFileLoader):
    """The extension loader, able to hand out the .py source beside the
    compiled module.

    Compiled functions still put their .py file and line in a traceback, as
    a relative name (``pool/connection.py``).  traceback asks linecache, which
    asks the module's loader first; the plain extension loader answers "no
    source", and linecache then gives up without searching sys.path, so an
    installed pool's tracebacks lost their source lines.
    """

    def get_source(self, fullname: str) -> str | None:  # type: ignore[override]
        source = os.path.join(os.path.dirname(self.path), fullname.rpartition(".")[2] + ".py")
        try:
            with open(source, "rb") as f:
                return importlib.util.decode_source(f.read())
        except OSError:
            return None


class _RequestPathFinder:
    """A meta path finder for ``MODULES`` only.  With ``sources`` true, it
    finds the .py file, even where a compiled module sits beside it; else
    whatever the normal import finds, a compiled module with the loader
    above.  Where it has nothing to say, the normal import proceeds."""

    def __init__(self, sources: bool) -> None:
        self.sources = sources

    def find_spec(
        self, fullname: str, path: typing.Sequence[str] | None = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES or not path:
            return None
        if self.sources:
            leaf = fullname.rpartition(".")[2] + ".py"
            for entry in path:
                source = os.path.join(entry, leaf)
                if os.path.isfile(source):
                    return importlib.util.spec_from_file_location(fullname, source)
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or type(spec.loader) is not importlib.machinery.ExtensionFileLoader or spec.origin is None:
            return spec
        return importlib.util.spec_from_file_location(
            fullname, spec.origin, loader=_CompiledWithSource(fullname, spec.origin)
        )


def install() -> None:
    """Put the finder first on sys.meta_path, once; done at import of this
    module, which pool/__init__.py imports before the request path."""
    if not any(isinstance(finder, _RequestPathFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RequestPathFinder(sources=sources_wanted()))


def compiled_modules() -> tuple[str, ...]:
    """The names in ``MODULES`` whose imported module is compiled."""
    found = []
    for name in MODULES:
        module = sys.modules.get(name)
        spec = getattr(module, "__spec__", None)
        if isinstance(getattr(spec, "loader", None), importlib.machinery.ExtensionFileLoader):
            found.append(name)
    return tuple(found)


def request_path_compiled() -> bool:
    """True when every module of the request path runs compiled."""
    return compiled_modules() == MODULES


def caller_stacklevel(probe: object) -> int:
    """The ``stacklevel`` for warnings.warn that names the caller of the
    function warning, in the module that defines ``probe`` (any function).

    Source code runs in frames of its own, so the caller is 2 frames up; a
    compiled function has no frame, and 1 already names its caller.
    """
    return 2 if isinstance(probe, types.FunctionType) else 1


install()
