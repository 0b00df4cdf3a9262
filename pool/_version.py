"""The single source of pool's version (read by pyproject.toml at build time)."""

__version__ = "0.1.0"

#: The urllib3 2.x release whose public API pool implements.
URLLIB3_API_VERSION = "2.8.0"
