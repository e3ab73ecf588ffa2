"""Instructions per request under callgrind: deterministic, unlike time.

nginx runs as one process (master_process off) under valgrind; two runs
with different request counts give the cost of one request without the
start-up and shut-down."""

import http.client
import os
import re
import tempfile

from nginx import Nginx


def total_instructions(body, headers, n):
    out = tempfile.mktemp(prefix="fediguard-callgrind-")
    try:
        with Nginx(body, valgrind_out=out) as ngx:
            c = http.client.HTTPConnection("127.0.0.1", ngx.port, timeout=60)
            for _ in range(n):
                c.request("GET", "/", headers=headers)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    raise RuntimeError(f"callgrind run answered {r.status}")
            c.close()
        with open(out) as f:
            text = f.read()
        m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
        return int(m.group(1))
    finally:
        if os.path.exists(out):
            os.unlink(out)


def instructions_per_request(body, headers, n1=200, n2=1200):
    a = total_instructions(body, headers, n1)
    b = total_instructions(body, headers, n2)
    return (b - a) / (n2 - n1)
