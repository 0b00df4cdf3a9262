"""The compiled request path: which modules it is, whether they run compiled,
and the switch that runs their sources instead.

A build with extensions compiles the modules in ``MODULES`` from their own
.py files (setup.py) and installs both side by side; Python's import system
then prefers the compiled one.  ``POOL_NO_EXTENSIONS`` set at run time (or an
interpreter other than CPython) means "no compiled code": the wire layer
takes its pure-Python twin (pool/_wire.py), and :func:`prefer_sources` makes
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


class _SourcesFirst:
    """A meta path finder for ``MODULES`` only: the .py file, even where a
    compiled module sits beside it.  Where there is no .py, it steps aside
    and the normal import finds what there is."""

    @staticmethod
    def find_spec(
        fullname: str, path: typing.Sequence[str] | None = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES or not path:
            return None
        leaf = fullname.rpartition(".")[2] + ".py"
        for entry in path:
            source = os.path.join(entry, leaf)
            if os.path.isfile(source):
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def prefer_sources() -> None:
    """Import ``MODULES`` from their sources from now on (idempotent); done
    at import of this module, which pool/__init__.py imports first, when
    :func:`sources_wanted`."""
    if not any(isinstance(finder, _SourcesFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourcesFirst())


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


if sources_wanted():
    prefer_sources()
