"""Build the compiled wire core and the compiled request path; all metadata
lives in pyproject.toml.

Set POOL_NO_EXTENSIONS to a non-empty value to build a pure-Python package.
POOL_SANITIZE=1 builds the extensions with AddressSanitizer and
UndefinedBehaviorSanitizer (see .ci/sanitize.sh).

The request path (REQUEST_PATH below) is compiled from its own .py files,
unchanged: Cython turns each function body into C and leaves the classes
ordinary Python classes, so subclassing and patching work as on the sources.
The .py files still ship beside the compiled modules (tracebacks quote their
lines), and POOL_NO_EXTENSIONS=1 at run time imports them instead
(pool/_compiled.py).  Only on CPython: elsewhere the extension API is
emulated, and compiled Python code would run slower than the source.
"""

import os
import platform
import sys

from setuptools import Extension, setup

# The modules a keep-alive request runs through; pool/_compiled.py lists the
# same names (tests/test_compiled.py holds the two lists together).
REQUEST_PATH = ("pool._request_methods", "pool.connection", "pool.connectionpool", "pool.poolmanager", "pool.response")

# Extra flags for the request path's generated C (after the wire core's).
# gcc's -Warray-bounds and -Wstringop-overread report Cython's own comparison
# helpers once inlined with a constant (`x not in (None, 0)` compares None
# as if it might be bytes, behind a type check gcc does not follow): false
# positives in code that is not ours to change.  Every other warning stays,
# and tests/test_build.py compiles these modules with -Werror (with gcc, and
# with clang where it is installed).  clang has no -Wstringop-overread and
# would warn about the flag: -Wno-unknown-warning-option tells it not to,
# and gcc, which does not know that option either, says nothing of an
# unknown -Wno- option unless it reports a real warning too.
REQUEST_PATH_CFLAGS = ["-Wno-unknown-warning-option", "-Wno-array-bounds", "-Wno-stringop-overread"]

extensions = []
if not os.environ.get("POOL_NO_EXTENSIONS"):
    from Cython.Build import cythonize

    cflags = ["-O2", "-Wall", "-Wextra"]
    ldflags = []
    if os.environ.get("POOL_SANITIZE"):
        san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
        cflags = ["-O1", "-g", "-Wall", "-Wextra"] + san
        ldflags = san
    if sys.platform == "win32":
        cflags, ldflags = [], []
    # The request path: no debug information outside a sanitizer build (it
    # made the wheel 4.8 MB instead of about 1.5).
    request_cflags = [] if sys.platform == "win32" else cflags + REQUEST_PATH_CFLAGS
    if request_cflags and not os.environ.get("POOL_SANITIZE"):
        request_cflags.append("-g0")
    extensions = cythonize(
        [
            Extension(
                "pool._wire_c",
                sources=["csrc/_wire_c.pyx", "csrc/pool_http.c"],
                include_dirs=["csrc"],
                extra_compile_args=cflags,
                extra_link_args=ldflags,
            )
        ],
        compiler_directives={"language_level": "3", "embedsignature": True},
    )
    if platform.python_implementation() == "CPython":
        extensions += cythonize(
            [
                Extension(
                    name,
                    sources=[name.replace(".", "/") + ".py"],
                    extra_compile_args=request_cflags,
                    extra_link_args=ldflags,
                )
                for name in REQUEST_PATH
            ],
            # The generated C goes under build/, out of the package (and so
            # out of the sdist, which prunes build/, and of the wheel).
            build_dir="build/cython",
            compiler_directives={
                "language_level": "3",
                # Annotations stay hints, as on the sources: typed as C
                # types, `x: int` would refuse a bool subclass or None
                # where the Python code accepts it.
                "annotation_typing": False,
                # Functions that behave like Python's: bound as methods,
                # introspectable (inspect.signature), patchable.
                "binding": True,
            },
        )

# Six modules to compile, each on its own: one per CPU (`-j N` overrides).
setup(ext_modules=extensions, options={"build_ext": {"parallel": True}})
