"""Every Python example in README.md runs, as written, against a local server.

The README's examples address ``127.0.0.1:8080``; the test serves them from a
server on a free port and rewrites only that address.  Each block runs in its
own interpreter, because one of them installs pool as urllib3.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from httpserver import Server

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _handler(req):
    if req.path == "/robots.txt":
        return 200, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow: /deny\n"
    if req.path == "/ip":
        return 200, [("Content-Type", "application/json")], json.dumps({"origin": "127.0.0.1"}).encode()
    if req.path == "/ajax/services/search/web":
        body = json.dumps({"q": req.query.get("q"), "v": req.query.get("v")}).encode()
        return 200, [("Content-Type", "text/javascript; charset=utf-8")], body.ljust(211)
    return None


@pytest.fixture(scope="module")
def server():
    with Server(handler=_handler) as s:
        yield s


def _run(code: str, server) -> str:
    host_port = server.url("").split("://", 1)[1].rstrip("/")
    port = host_port.rsplit(":", 1)[1]
    code = code.replace("127.0.0.1:8080", host_port).replace('"127.0.0.1", 8080', f'"127.0.0.1", {port}')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_readme_has_the_examples():
    assert len(BLOCKS) == 4


def test_seed_poolmanager_example(server):
    out = _run(BLOCKS[0], server).splitlines()
    assert out[0] == "200 b'User-agent: *\\nDisallow: /deny\\n'"
    assert out[1] == 'b\'{"origin": "127.0.0.1"}\''


def test_seed_connection_reuse_example(server):
    out = _run(BLOCKS[1], server).splitlines()
    assert out == [
        "Response Status: 200",
        "Header: text/javascript; charset=utf-8",
        "Python: 211",
        "php: 211",
        "Number of Connections: 1",
        "Number of requests: 2",
    ]


def test_import_pool_as_urllib3_example(server):
    assert _run(BLOCKS[2], server).splitlines() == ["200 5"]


def test_install_as_urllib3_example(server):
    assert _run(BLOCKS[3], server).splitlines() == ["200"]
