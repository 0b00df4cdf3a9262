"""Benchmarks for pool: ``python -m bench`` and the pytest-benchmark files."""
