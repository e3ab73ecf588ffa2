"""`make bench`: fediguard against plain nginx and nginx's own modules,
measured side by side in one run (A B A B ...), reported as ratios.

Usage: python3 bench/run.py [--rounds N] [--seconds S] [--quick] [--only 9,3] [--stampede-only]
Writes BENCHMARKS.md (unless --only) and prints the table. The link-preview
stampede (row 8, the `stampede` binary of tests/) runs last and adds its own
section; --stampede-only runs just that and replaces the section in
BENCHMARKS.md."""

import argparse
import datetime
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import configs  # noqa: E402
import wrk  # noqa: E402
from callgrind import instructions_per_request  # noqa: E402
from dns import Dnsmasq  # noqa: E402
from nginx import NGINX, PINNED, ROOT, Nginx  # noqa: E402
from redis import Redis  # noqa: E402

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
USER_TOKEN = "BenchUserTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


class Bench:
    def __init__(self, rounds, seconds):
        self.rounds = rounds
        self.seconds = seconds
        self.rows = []

    def ab(self, a, b, path="/", headers=None, script=None, prepare=None):
        """Throughput and p99 of A and B, alternated over the rounds."""
        ra, rb = [], []
        with Nginx(a) as na, Nginx(b) as nb:
            if prepare:
                prepare(na, nb)
            for _ in range(self.rounds):
                for n, out in ((na, ra), (nb, rb)):
                    rps, p99, bad = wrk.run(n.port, path, headers, script, self.seconds)
                    if bad:
                        raise RuntimeError(f"{bad} non-2xx answers in a benchmark run")
                    out.append((rps, p99))
        med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
        return (med(ra, 0), med(ra, 1)), (med(rb, 0), med(rb, 1))

    def row(self, name, a_label, a, b_label, b, ratio, target, met, note=""):
        self.rows.append((name, f"{a_label}: {a}", f"{b_label}: {b}", ratio, target,
                          "yes" if met else "NO", note))
        print(f"{name}: {ratio} (target {target}) {'met' if met else 'NOT MET'} {note}", flush=True)


def fmt_rps(x):
    return f"{x:,.0f} req/s"


def fill(port, header, prefix, n):
    """Sends at least n requests, each with a new key or token."""
    done, run = 0, 0
    while done < n:
        script = wrk.lua_rotating(header, f"{prefix}{run}x", n, fill=True)
        done += wrk.run(port, "/", {"User-Agent": BROWSER}, script, seconds=5, conns=64,
                        total=True)
        run += 1
    print(f"  filled {done:,} {header} values", flush=True)


def cold_latency(port, n, new_token, prefix="Cold", ok=(200,)):
    """Median latency (ms) of n sequential requests on one connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    for i in range(n):
        headers = {"User-Agent": BROWSER}
        if new_token:
            headers["Authorization"] = f"Bearer {prefix}{i}x{time.time_ns()}"
        t = time.perf_counter()
        c.request("GET", "/", headers=headers)
        r = c.getresponse()
        r.read()
        times.append((time.perf_counter() - t) * 1000)
        if r.status not in ok:
            raise RuntimeError(f"cold path answered {r.status}")
    return statistics.median(times)


def backend_calls(port, kind, n):
    """Backend calls per new token of a kind (the metrics' count)."""
    def calls():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/metrics?format=json")
        v = json.loads(c.getresponse().read())
        return v["verifications"]["backend_calls"]
    # A first token, so that a worker learns once whether the server has
    # /oauth/token/info (one 404 per worker and hour).
    cold_latency(port, 1, True, prefix="Warm", ok=(200, 403, 503))
    before = calls()
    cold_latency(port, n, True, prefix=kind, ok=(200, 403, 503))
    return (calls() - before) / n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--quick", action="store_true", help="small fills, one round")
    p.add_argument("--only", default="", help="comma-separated row numbers, e.g. 7")
    p.add_argument("--stampede-only", action="store_true",
                   help="only the link-preview stampede; keep the other rows")
    args = p.parse_args()
    want = lambda n: not args.only or str(n) in args.only.split(",")  # noqa: E731
    if args.stampede_only:
        section = stampede()
        path = os.path.join(ROOT, "BENCHMARKS.md")
        try:
            with open(path) as f:
                text = f.read().split(STAMPEDE_HEADING)[0].rstrip("\n") + "\n\n"
        except OSError:
            text = ""
        with open(path, "w") as f:
            f.write(text + section)
        return
    big = 100_000 if args.quick else 1_000_000
    if args.quick:
        args.rounds, args.seconds = 1, 2
    b = Bench(args.rounds, args.seconds)
    auth = {"User-Agent": BROWSER, "Authorization": f"Bearer {USER_TOKEN}"}
    warm = lambda na, nb: [wrk.run(n.port, "/", auth, None, 1) for n in (na, nb)]  # noqa: E731

    if want(1):
        # 1. Plain nginx vs fediguard fully on.
        (pa, pl), (fa, fl) = b.ab(configs.plain(), configs.full_on(), headers=auth, prepare=warm)
        b.row("1. plain nginx vs fediguard fully on (agents, warm token, one limit)",
              "plain", f"{fmt_rps(pa)}, p99 {pl:.2f} ms", "fediguard", f"{fmt_rps(fa)}, p99 {fl:.2f} ms",
              f"{fa / pa:.3f}", ">= 0.97", fa / pa >= 0.97)

    if want(2):
        # 2. Instructions per request (callgrind).
        plain_i = instructions_per_request(configs.plain(), auth)
        full_i = instructions_per_request(configs.full_on(), auth)
        added = full_i - plain_i
        b.row("2. instructions per request (callgrind)", "plain", f"{plain_i:,.0f}",
              "fediguard", f"{full_i:,.0f}", f"+{added:,.0f}", "<= +1,500", added <= 1500)

    if want(3):
        # 3. fediguard_limit vs limit_req, same zone, rate and burst.
        (la, _), (fga, _) = b.ab(configs.limit_req(), configs.fediguard_limit(),
                                 headers={"User-Agent": BROWSER})
        b.row("3. fediguard_limit vs limit_req", "limit_req", fmt_rps(la), "fediguard_limit",
              fmt_rps(fga), f"{fga / la:.3f}", ">= 1.0", fga / la >= 1.0)

    if want(4):
        # 4. Token check, warm cache, vs auth_request + proxy_cache.
        (aa, _), (ta, _) = b.ab(configs.auth_request_cache(), configs.token_check(), headers=auth,
                                prepare=warm)
        b.row("4. token check (warm) vs auth_request + proxy_cache", "auth_request", fmt_rps(aa),
              "fediguard", fmt_rps(ta), f"{ta / aa:.2f}x", ">= 2x", ta / aa >= 2)

    if want(5):
        # 5. Growth.
        hot = wrk.lua_rotating("Authorization", "Bearer Hot", 1000)
        hot_keys = wrk.lua_rotating("X-Key", "hot", 1000)

        def fill_tokens(na, nb):
            wrk.run(na.port, "/", {"User-Agent": BROWSER}, hot, 2)
            wrk.run(nb.port, "/", {"User-Agent": BROWSER}, hot, 2)
            fill(nb.port, "Authorization", "Bearer Fill", big)

        (s1, _), (s2, _) = b.ab(configs.token_check(), configs.token_check(),
                                headers={"User-Agent": BROWSER}, script=hot, prepare=fill_tokens)
        grow = s1 / s2 - 1
        b.row(f"5a. verdict cache holding 1,000 vs {big:,} tokens", "1k", fmt_rps(s1), f"{big:,}",
              fmt_rps(s2), f"{grow * 100:+.1f}% cost", "<= +20%", grow <= 0.20,
              "180 bytes of shared memory per cached token")

        (r1, _), (r2, _) = b.ab(configs.agents_only(rules=10), configs.agents_only(rules=1000),
                                headers={"User-Agent": BROWSER})
        grow = r1 / r2 - 1
        b.row("5b. 10 vs 1,000 agent rules", "10", fmt_rps(r1), "1,000", fmt_rps(r2),
              f"{grow * 100:+.1f}% cost", "<= +20%", grow <= 0.20)

        def fill_keys(na, nb):
            fill(nb.port, "X-Key", "fill", big)

        keyed = configs.fediguard_limit(key="$http_x_key")
        (k1, _), (k2, _) = b.ab(keyed, keyed, headers={"User-Agent": BROWSER}, script=hot_keys,
                                prepare=fill_keys)
        grow = k1 / k2 - 1
        b.row(f"5c. 1,000 vs {big:,} live limit keys", "1k", fmt_rps(k1), f"{big:,}", fmt_rps(k2),
              f"{grow * 100:+.1f}% cost", "<= +20%", grow <= 0.20,
              "60 bytes of shared memory per key")

    if want(6):
        # 6. Cold path: a new token's verification vs a plain proxied request.
        with Nginx(configs.proxied_backend()) as np_, Nginx(configs.token_cold()) as nt:
            cold_latency(np_.port, 50, False)
            cold_latency(nt.port, 50, True)
            px = cold_latency(np_.port, 500, False)
            cold = cold_latency(nt.port, 500, True)
        b.row("6. request with a new token vs a plain proxied request", "proxied",
              f"{px:.3f} ms", "new token", f"{cold:.3f} ms", f"{cold / px:.2f}x",
              "about 1x (one backend round trip)", cold / px <= 1.5)

    # 9. Backend calls a new token costs (user, app, invalid), on a server
    # with /oauth/token/info and on one without it; before this count was
    # kept, every app and invalid token cost 2.
    if want(9):
        cases = [(True, False), (True, True), (False, True)]
        for info, names in cases:
            with Nginx(configs.token_calls(token_info=info, names=names)) as n:
                costs = [backend_calls(n.port, kind, 100) for kind in ("User", "App", "Nope")]
            where = "Mastodon (/oauth/token/info)" if info else "server without /oauth/token/info"
            where += ", names shown" if names else ", no name shown"
            if info and not names:
                target, met = "1 each", max(costs) <= 1
            elif info:
                target, met = "invalid 1, user and app <= 2", costs[2] <= 1 and max(costs) <= 2
            else:
                target, met = "<= 2 (as before)", max(costs) <= 2
            b.row(f"9. backend calls per new token, {where}", "before",
                  "user 1, app 2, invalid 2", "now",
                  f"user {costs[0]:.2f}, app {costs[1]:.2f}, invalid {costs[2]:.2f}",
                  f"invalid {costs[2]:.2f}", target, met)

    # 7. Cluster mode (a sync zone, rounds with Redis) vs the same zone local.
    if want(7):
        hot_keys = wrk.lua_rotating("X-Key", "hot", 1000)
        with Redis() as r:
            (l7, _), (c7, _) = b.ab(configs.limit_keys(), configs.limit_keys(redis_port=r.port),
                                    headers={"User-Agent": BROWSER}, script=hot_keys)
        b.row("7. cluster mode (sync zone, Redis) vs local zone", "local", fmt_rps(l7),
              "cluster", fmt_rps(c7), f"{c7 / l7:.3f}", ">= 0.95", c7 / l7 >= 0.95,
              "1,000 keys charged between rounds; worker 0 also runs the sync rounds")

    # 10. A verified Googlebot address (its answer in the zone) vs the same
    # claim where nothing verifies it: the cost of verification once known.
    if want(10):
        def verify_first(na, nb):
            # The first request looks the address up; the rest find it.
            for n in (na, nb):
                wrk.run(n.port, "/", {"User-Agent": GOOGLEBOT}, None, 1)
        with Dnsmasq() as d:
            (u10, _), (v10, _) = b.ab(configs.agents_search(), configs.agents_search(dns_port=d.port),
                                    headers={"User-Agent": GOOGLEBOT}, prepare=verify_first)
            # The same pair under callgrind: deterministic, unlike time.
            ui = instructions_per_request(configs.agents_search(), {"User-Agent": GOOGLEBOT})
            vi = instructions_per_request(configs.agents_search(dns_port=d.port),
                                          {"User-Agent": GOOGLEBOT})
        b.row("10. a verified address's request vs an unverified request of the same agent class",
              "unverified", fmt_rps(u10), "verified", fmt_rps(v10),
              f"{(u10 / v10 - 1) * 100:+.1f}% cost", "<= +5%", u10 / v10 - 1 <= 0.05,
              "Googlebot from 127.0.0.1, whose PTR name (dnsmasq) resolves back, its answer in the "
              f"zone; {vi - ui:+,.0f} instructions per request under callgrind ({ui:,.0f} vs {vi:,.0f})")

    # 8. The link-preview stampede, at full scale.
    write(b, args, stampede() if want(8) else "")


STAMPEDE_HEADING = "## Link-preview stampede"


def stampede():
    """The stampede simulator at full scale against the three setups
    (unprotected, fediverse agents blocked, website.conf): its section."""
    cargo = os.environ.get("CARGO", "cargo")
    subprocess.run([cargo, "build", "--release", "-q", "-p", "fediguard-tests",
                    "--bin", "stampede"], cwd=ROOT, check=True)
    # Its progress goes to stderr, the section to stdout.
    out = subprocess.run([os.path.join(ROOT, "target", "release", "stampede")],
                         cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    if not out.startswith(STAMPEDE_HEADING):
        raise RuntimeError(f"unexpected stampede output: {out[:200]!r}")
    _, commit = machine()[1:]
    when = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    out = out.replace(STAMPEDE_HEADING + "\n",
                      f"{STAMPEDE_HEADING}\n\n- date: {when}\n- commit: {commit}\n", 1)
    print(out, flush=True)
    return out


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    nginx_v = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return cpu, nginx_v, commit


def write(b, args, stampede_section=""):
    cpu, nginx_v, commit = machine()
    lines = [
        "# fediguard benchmarks",
        "",
        "Written by `make bench` (bench/run.py). Ratios of configurations measured",
        "side by side in one run, never absolute times: each pair runs alternately",
        f"({args.rounds} rounds of {args.seconds:g} s, medians), nginx with 1 worker,",
        "wrk with 32 connections from another process, all on loopback"
        + (" (nginx's worker pinned to core 0, wrk and Redis to core 1)." if PINNED else "."),
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- commit: {commit}",
        f"- {nginx_v}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "",
        "| comparison | A | B | result | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for name, a, bb, ratio, target, met, note in b.rows:
        lines.append(f"| {name} | {a} | {bb} | {ratio} | {target} | {met} |")
    notes = [r for r in b.rows if r[6]]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {r[0]}: {r[6]}" for r in notes]
    text = "\n".join(lines) + "\n"
    if stampede_section:
        text += "\n" + stampede_section
    # A run of some rows (--only) is printed, not written over the full table.
    if not args.only:
        with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
            f.write(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
