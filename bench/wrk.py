"""Driving wrk (another process) against nginx and reading its numbers."""

import os
import re
import subprocess
import tempfile

from nginx import on_load_core

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def lua_headers(headers):
    items = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
    return f"wrk.headers = {{ {items} }}\n" if headers else ""


# Each request carries a key (or token) drawn from a set of `n`; with
# `fill`, every request has a new one.
def lua_rotating(header, prefix, n, fill=False):
    pick = "counter" if fill else f"(counter % {n})"
    return f"""
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, {{ ["{header}"] = "{prefix}" .. {pick} }})
end
"""


def run(port, path="/", headers=None, script=None, seconds=3, conns=32, threads=1, total=False):
    """Returns (requests per second, p99 latency in ms, non-2xx count), or
    with `total`, the number of requests completed."""
    lua = lua_headers(headers or {}) + (script or "")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
        name = f.name
    try:
        out = subprocess.run(
            on_load_core(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds:g}s", "--latency", "-s", name,
             f"http://127.0.0.1:{port}{path}"]),
            capture_output=True, text=True, timeout=seconds + 600).stdout
    finally:
        os.unlink(name)
    if total:
        return int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p99, int(bad.group(1)) if bad else 0
