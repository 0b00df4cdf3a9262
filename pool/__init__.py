"""pool: urllib3 2.x's interface on a C wire core.

``import pool as urllib3`` runs urllib3 code several times faster; see README.md.
"""

from __future__ import annotations

import logging
from logging import NullHandler

from . import exceptions
from ._version import __version__
from ._wire import HAS_EXTENSIONS

logging.getLogger(__name__).addHandler(NullHandler())
