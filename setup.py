"""Build only the compiled wire core; all metadata lives in pyproject.toml.

Set POOL_NO_EXTENSIONS to a non-empty value to build a pure-Python package.
POOL_SANITIZE=1 builds the extension with AddressSanitizer and
UndefinedBehaviorSanitizer (see .ci/sanitize.sh).
"""

import os
import sys

from setuptools import Extension, setup

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

setup(ext_modules=extensions)
