"""Facade over the wire layer: the compiled core, or its pure-Python twin.

The compiled module ``pool._wire_c`` is used unless ``POOL_NO_EXTENSIONS`` is
set to a non-empty value or the interpreter is not CPython; if importing it
fails, the twin ``pool._wire_py`` takes over.  Both export the same names
(see docs/wire.md).  Everything above this layer imports only this module.
"""

import os
import platform
import typing

#: True when the compiled core is in use, False when the twin is.
HAS_EXTENSIONS = False

if typing.TYPE_CHECKING:
    # Type checkers read the twin: both implementations follow one contract,
    # and the twin's annotations are the ones the test suite exercises.
    from ._wire_py import *  # noqa: F401,F403
    from ._wire_py import __all__  # noqa: F401
else:
    if not os.environ.get("POOL_NO_EXTENSIONS") and platform.python_implementation() == "CPython":
        try:
            from ._wire_c import *  # noqa: F401,F403
            from ._wire_c import __all__  # noqa: F401
        except ImportError:
            pass
        else:
            HAS_EXTENSIONS = True

    if not HAS_EXTENSIONS:
        from ._wire_py import *  # noqa: F401,F403
        from ._wire_py import __all__  # noqa: F401
