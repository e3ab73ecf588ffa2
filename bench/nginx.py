"""Starting nginx instances (and nginx under callgrind) for the benchmark."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import http.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX = os.path.join(ROOT, "objs", "nginx")
MODULE = os.path.join(ROOT, "objs", "ngx_http_fediguard_module.so")
PAGE = b"<html><body>" + b"fediguard benchmark page " * 40 + b"</body></html>\n"


# With two cores or more, nginx's one worker runs on core 0 and the load
# (wrk, and Redis for the cluster row) on core 1: the pair being compared
# does not fight its load generator for a core, which halves the noise.
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def on_load_core(cmd):
    """`cmd` run on the load generator's core, when pinning is possible."""
    return ["taskset", "-c", "1"] + cmd if PINNED else cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(body, port, dirname, master=True):
    return f"""load_module {MODULE};
worker_processes 1;
{'worker_cpu_affinity 01;' if PINNED and master else ''}
master_process {'on' if master else 'off'};
daemon off;
error_log {dirname}/error.log warn;
pid {dirname}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
{body.format(port=port, dir=dirname)}
}}
"""


def wait_ready(port, proc, deadline=20):
    end = time.time() + deadline
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("nginx exited")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/__bench_ready")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")


class Nginx:
    def __init__(self, body, valgrind_out=None):
        self.dir = tempfile.mkdtemp(prefix="fediguard-bench-")
        # Workers run as nobody when the master is root.
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        with open(os.path.join(self.dir, "index.html"), "wb") as f:
            f.write(PAGE)
        os.chmod(os.path.join(self.dir, "index.html"), 0o644)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(render(body, self.port, self.dir, master=valgrind_out is None))
        cmd = [NGINX, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")]
        if valgrind_out:
            cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={valgrind_out}",
                   "--dump-instr=no", "--collect-jumps=no"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.port, self.proc, deadline=60 if valgrind_out else 20)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            # Under valgrind a signal can wait for the next event: a
            # connection wakes the event loop so that it sees the signal.
            end = time.time() + 60
            while self.proc.poll() is None and time.time() < end:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                except OSError:
                    pass
                time.sleep(0.2)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
