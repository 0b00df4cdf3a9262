"""``pool.install_as_urllib3()``: make ``import urllib3`` resolve to pool.

In the spirit of PyMySQL's ``install_as_MySQLdb()``: one table maps every public
module of urllib3 2.x to pool's module of the same name, and all of them are
entered into ``sys.modules`` at once, because ``requests.packages`` aliases
only the ``urllib3.*`` modules already imported when requests loads.

Two entries are thin alias modules rather than pool's own: ``urllib3`` and
``urllib3._version``, so that ``urllib3.__version__`` reports the urllib3
release whose API pool implements (libraries such as requests check it) while
``pool.__version__`` stays pool's own.  Every other attribute of the
``urllib3`` alias is looked up on ``pool``, and every other entry *is* pool's
module object: there are no copies to drift, and ``except
urllib3.exceptions.X`` catches what pool raises.

``urllib3.contrib.socks`` needs an optional dependency (PySocks), so it is
mapped on first import instead: installing works without PySocks, and
importing it then fails (with a DependencyWarning) exactly as on urllib3.

urllib3 modules pool does not have (``urllib3.http2``, the other ``contrib``
add-ons) fail to import with ModuleNotFoundError, and no
pool source file is ever executed a second time under a ``urllib3.*`` name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import logging
import sys
import threading
import types
import typing

from ._version import URLLIB3_API_VERSION

__all__ = ["install_as_urllib3"]

# urllib3 module suffix -> pool module of the same suffix ("" is the package).
# Every module urllib3 2.x ships except those listed in _NOT_PROVIDED.
_MODULE_TABLE = (
    "",
    ".exceptions",
    "._collections",
    "._base_connection",
    "._request_methods",
    "._version",
    ".connection",
    ".connectionpool",
    ".poolmanager",
    ".response",
    ".fields",
    ".filepost",
    ".contrib",
    ".util",
    ".util.connection",
    ".util.proxy",
    ".util.request",
    ".util.response",
    ".util.retry",
    ".util.ssl_",
    ".util.ssl_match_hostname",
    ".util.ssltransport",
    ".util.timeout",
    ".util.url",
    ".util.util",
    ".util.wait",
)

# Modules whose pool counterpart needs an optional dependency: entered into
# sys.modules on first import (by _RefuseCopies) rather than at install, so
# that a missing dependency fails that import only, as on urllib3.
_OPTIONAL_MODULE_TABLE = (".contrib.socks",)

# urllib3 modules with no pool counterpart: importing them fails with
# ModuleNotFoundError, as it does for a urllib3 missing the optional extras.
_NOT_PROVIDED = (
    "urllib3.http2",  # HTTP/1.1 only
    "urllib3.contrib.emscripten",  # no Emscripten/Pyodide support
    "urllib3.contrib.pyopenssl",  # the ssl module only
)

# Names in pool.__all__ that urllib3 does not have.
_POOL_ONLY_NAMES = frozenset({"install_as_urllib3", "Limits"})

_lock = threading.Lock()


def _version_module() -> types.ModuleType:
    # urllib3._version as urllib3 ships it, but with the API version.
    module = types.ModuleType("urllib3._version", "The urllib3 release whose API pool implements.")
    version_tuple = tuple(int(p) if p.isdigit() else p for p in URLLIB3_API_VERSION.split("."))
    module.__dict__.update(
        __version__=URLLIB3_API_VERSION,
        version=URLLIB3_API_VERSION,
        __version_tuple__=version_tuple,
        version_tuple=version_tuple,
        __commit_id__=None,
        commit_id=None,
        __all__=["__version__", "__version_tuple__", "version", "version_tuple", "__commit_id__", "commit_id"],
    )
    return module


def _add_stderr_logger(level: int = logging.DEBUG) -> logging.StreamHandler[typing.TextIO]:
    """Add a StreamHandler on stderr to the ``urllib3`` logger (for
    debugging) and return it."""
    logger = logging.getLogger("urllib3")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.debug("Added a stderr logging handler to logger: %s", "urllib3")
    return handler


class _Urllib3Alias(types.ModuleType):
    """The object ``import urllib3`` returns while pool is installed.

    Reads fall through to ``pool``; so do writes (monkeypatching
    ``urllib3.X`` patches ``pool.X``), except for the few names the alias
    keeps for itself.
    """

    def __init__(self, target: types.ModuleType, version_module: types.ModuleType) -> None:
        super().__init__("urllib3", target.__doc__)
        own = self.__dict__
        own["_pool"] = target
        own["__version__"] = URLLIB3_API_VERSION
        own["_version"] = version_module
        own["__file__"] = target.__file__
        # Empty: every submodule is in sys.modules already, and a path would
        # let the import system load a second copy of one of pool's files.
        own["__path__"] = []
        # urllib3's public names: pool's, less pool's own additions.
        own["__all__"] = tuple(n for n in target.__all__ if n not in _POOL_ONLY_NAMES)
        own["__spec__"] = importlib.machinery.ModuleSpec("urllib3", None, origin=target.__file__, is_package=True)
        own["__spec__"].submodule_search_locations = []
        own["add_stderr_logger"] = _add_stderr_logger

    def __getattr__(self, name: str) -> typing.Any:
        try:
            return getattr(self.__dict__["_pool"], name)
        except AttributeError:
            raise AttributeError(f"module 'urllib3' (pool) has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: typing.Any) -> None:
        if name in self.__dict__ or name.startswith("__"):
            super().__setattr__(name, value)
        else:
            setattr(self.__dict__["_pool"], name, value)

    def __delattr__(self, name: str) -> None:
        if name in self.__dict__:
            super().__delattr__(name)
        else:
            delattr(self.__dict__["_pool"], name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self.__dict__["_pool"])) | set(self.__dict__))


class _OptionalModuleLoader(importlib.abc.Loader):
    """Loads ``urllib3.X`` of :data:`_OPTIONAL_MODULE_TABLE` as pool's own
    module object (imported, or found already imported, as ``pool.X``), so
    the two names are one module, as for the rest of the table."""

    def __init__(self, pool_name: str) -> None:
        self.pool_name = pool_name
        self._own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        # A missing dependency raises here, and the import fails as urllib3's.
        module = importlib.import_module(self.pool_name)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # Nothing to run: the module was executed once, as pool.X.  The
        # import system gave it the urllib3 name's spec; keep pool's own.
        if self._own_spec is not None:
            module.__spec__ = self._own_spec


class _RefuseCopies(importlib.abc.MetaPathFinder):
    """Stops ``import urllib3.X`` from loading a pool source file again.

    Submodules in the table are in ``sys.modules`` already, so only other
    names get here.  ``urllib3``'s alias has an empty ``__path__``, but
    ``urllib3.util`` and ``urllib3.contrib`` *are* pool's packages, whose
    directories the import system would search: a pool file found there would
    run a second time as a copy with its own classes, which ``except``
    clauses elsewhere would not match.  Names that exist nowhere are left to
    the normal "No module named" error, as with urllib3 itself.  The modules
    of :data:`_OPTIONAL_MODULE_TABLE` are the exception: they map to pool's
    module of the same name (see :class:`_OptionalModuleLoader`).
    """

    def find_spec(
        self,
        fullname: str,
        path: typing.Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("urllib3.") or not isinstance(sys.modules.get("urllib3"), _Urllib3Alias):
            return None
        suffix = fullname[len("urllib3") :]
        if suffix in _OPTIONAL_MODULE_TABLE:
            return importlib.machinery.ModuleSpec(fullname, _OptionalModuleLoader("pool" + suffix))
        if path and importlib.machinery.PathFinder.find_spec(fullname, path) is not None:
            raise ImportError(
                f"{fullname!r} is not one of the urllib3 modules pool provides "
                "(pool.install_as_urllib3() maps only urllib3 2.x's public modules); "
                f"import {'pool.' + fullname[len('urllib3.') :]!r} directly",
                name=fullname,
            )
        return None


def install_as_urllib3() -> None:
    """Make ``import urllib3`` (and ``from urllib3.X import Y``) use pool.

    Call it before anything imports urllib3 — in particular before
    ``import requests``.  Calling it again is harmless.  While installed,
    ``urllib3.__version__`` is the urllib3 release whose API pool implements
    (``pool.__version__`` is pool's own), and pool logs through urllib3's
    logger names (``urllib3``, ``urllib3.connectionpool``, ...), so logging
    configured for urllib3 keeps working.

    :raises ImportError: if the real urllib3 is already imported: its classes
        are then already bound in other modules, and mixing the two would give
        exceptions that ``except urllib3.exceptions.X`` does not catch.
    """
    with _lock:
        if isinstance(sys.modules.get("urllib3"), _Urllib3Alias):
            return
        already = sorted(name for name in sys.modules if name == "urllib3" or name.startswith("urllib3."))
        if already:
            where = getattr(sys.modules[already[0]], "__file__", None) or "an unknown location"
            raise ImportError(
                "pool.install_as_urllib3() must run before urllib3 is imported, but "
                f"urllib3 is already imported (from {where}). Call it first thing in "
                "your program, before importing requests or anything else that uses urllib3."
            )

        # Import everything first: a failure leaves sys.modules untouched.
        modules = {suffix: importlib.import_module("pool" + suffix) for suffix in _MODULE_TABLE}
        version_module = _version_module()
        entries: dict[str, types.ModuleType] = {}
        for suffix, module in modules.items():
            entries["urllib3" + suffix] = module
        entries["urllib3._version"] = version_module
        entries["urllib3"] = _Urllib3Alias(modules[""], version_module)

        if not any(isinstance(f, _RefuseCopies) for f in sys.meta_path):
            sys.meta_path.insert(0, _RefuseCopies())
        sys.modules.update(entries)

        # Loggers: each pool module that logs does so through a module-level
        # ``log``; point it at the urllib3 logger of the same name.
        for suffix, module in modules.items():
            if isinstance(getattr(module, "log", None), logging.Logger):
                setattr(module, "log", logging.getLogger("urllib3" + suffix))  # noqa: B010 - mypy knows no `log` on ModuleType
        logging.getLogger("urllib3").addHandler(logging.NullHandler())
