"""A dnsmasq for the verified-agent row: the PTR name of 127.0.0.1 is a
Googlebot name that resolves back, so wrk's requests come from a verified
Googlebot address; every other name is NXDOMAIN."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from nginx import on_load_core

DNSMASQ = "/usr/sbin/dnsmasq"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query():
    # `ready.invalid` A, id 1.
    q = bytes([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    for label in (b"ready", b"invalid"):
        q += bytes([len(label)]) + label
    return q + bytes([0, 0, 1, 0, 1])


class Dnsmasq:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fediguard-bench-dns-")
        self.port = free_udp_port()
        args = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", f"--port={self.port}", "--listen-address=127.0.0.1",
                "--bind-interfaces", "--local=/#/", "--pid-file",
                "--ptr-record=1.0.0.127.in-addr.arpa,crawl-127-0-0-1.googlebot.com",
                "--host-record=crawl-127-0-0-1.googlebot.com,127.0.0.1"]
        if os.geteuid() == 0:
            args.append("--user=root")
        self.proc = subprocess.Popen(on_load_core(args), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        end = time.time() + 20
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.05)
            while time.time() < end:
                if self.proc.poll() is not None:
                    raise RuntimeError("dnsmasq exited")
                try:
                    s.sendto(_query(), ("127.0.0.1", self.port))
                    s.recvfrom(512)
                    return
                except OSError:
                    pass
        raise RuntimeError("dnsmasq did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
