"""Let an upstream test module import when it names a private urllib3 symbol
that pool does not have.

``python patch_private_imports.py FILE...`` (run with pool installed as
urllib3; it rewrites the unpacked copies in place, never anything in the
repository).  urllib3's test modules import some private helpers at module
level (``from urllib3.response import _MAX_CHUNK_LINE_LENGTH``); one missing
name would make the whole module fail to collect, and with it every public-
behaviour test in it.  Each such private name (leading underscore) is taken
out of its ``from urllib3... import`` statement and bound instead to:

- the value urllib3 2.8.0 gives it, for the constants listed in ``VALUES``
  (tests use them as parameters of public behaviour), or
- a stand-in function that raises ``AttributeError`` when used, so the tests
  that really exercise the private helper fail one by one (and are listed in
  the deselect file as "private internals").

Public names are never replaced: a public name pool lacks is a difference
that must show up as a failure.  Names that are also missing by design but
public in urllib3 are listed in ``NOT_OFFERED`` (docs/differences.md, "Not
offered") and replaced by a failing stand-in as well.
"""

from __future__ import annotations

import ast
import importlib
import sys

import pool_as_urllib3  # noqa: F401  (pool installed as urllib3)

# (module, name) -> source of urllib3 2.8.0's value.
VALUES = {
    ("urllib3.response", "_MAX_CHUNK_LINE_LENGTH"): "2**16",
    # Decides at import time whether test_wait.py adds the poll variant.
    ("urllib3.util.wait", "_have_working_poll"): "(lambda: True)",
}

# Public urllib3 names pool does not offer, per docs/differences.md.
NOT_OFFERED = {
    ("urllib3.util.wait", "poll_wait_for_socket"),
    ("urllib3.util.wait", "select_wait_for_socket"),
}


def missing_name(module: str, name: str):  # type: ignore[no-untyped-def]
    def missing(*args: object, **kwargs: object) -> None:
        raise AttributeError(f"{module}.{name} is not in pool")

    missing.__name__ = missing.__qualname__ = name
    return missing


def _has(module: str, name: str) -> bool:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return True  # a missing module is left to fail (or be skipped) as it is
    if hasattr(mod, name):
        return True
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


def _module_level_imports(body: list[ast.stmt]):  # type: ignore[no-untyped-def]
    for node in body:
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == "urllib3":
                yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            yield from _module_level_imports(node.body)
            yield from _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for part in (node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]):
                yield from _module_level_imports(part)


def patch(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        source = f.read()
    lines = source.splitlines(keepends=True)
    done = []
    edits = []  # (node, [aliases to drop])
    for node in _module_level_imports(ast.parse(source).body):
        drop = [
            a
            for a in node.names
            if (a.name.startswith("_") or (node.module, a.name) in NOT_OFFERED) and not _has(node.module, a.name)
        ]
        if drop:
            edits.append((node, drop))
    for node, drop in sorted(edits, key=lambda e: -e[0].lineno):
        indent = lines[node.lineno - 1][: node.col_offset]
        binds = []
        for a in drop:
            value = VALUES.get((node.module, a.name))
            if value is None:
                value = f"__import__('patch_private_imports').missing_name({node.module!r}, {a.name!r})"
            binds.append(f"{indent}{a.asname or a.name} = {value}  # not in pool\n")
            done.append(f"{path}:{node.lineno}: {node.module}.{a.name}")
        keep = [a for a in node.names if a not in drop]
        if keep:
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in keep)
            stmt = [f"{indent}from {node.module} import {names}\n"]
        else:
            stmt = [f"{indent}pass\n"]
        lines[node.lineno - 1 : node.end_lineno] = stmt + binds
    if done:
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(lines))
    return done


if __name__ == "__main__":
    for p in sys.argv[1:]:
        for line in patch(p):
            print("patched private import:", line)
