"""Facade over the wire layer: the compiled core, or its pure-Python twin.

The compiled module ``pool._wire_c`` is used unless ``POOL_NO_EXTENSIONS`` is
set to a non-empty value or the interpreter is not CPython; if importing it
fails, the twin ``pool._wire_py`` takes over.  Both export the same names
(see docs/wire.md).  Everything above this layer imports only this module.
"""

import os
import platform

HAS_EXTENSIONS = False

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
