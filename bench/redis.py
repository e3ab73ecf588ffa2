"""A redis-server for the cluster-mode row, on a loopback port of its own."""

import shutil
import socket
import subprocess
import tempfile
import time

from nginx import free_port, on_load_core


class Redis:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fediguard-bench-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            on_load_core(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", self.dir]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 20
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
