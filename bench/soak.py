"""Soak load for bench/soak.sh: mixed valid and invalid requests at a fixed rate.

Worker threads share one schedule (request i is due at start + i / rate), each on its own
keep-alive connection, so the rate holds whatever the latency; a sampler reads the server's
VmRSS every 10 s. Standard library only. Prints one line per sample and a Markdown table at
the end; exits 1 if any answer was a 5xx or a request failed.
"""

import argparse
import http.client
import random
import secrets
import sys
import threading
import time
import urllib.parse
from collections import Counter


def kinds(args):
    """(weight, name, method, path, token) of each kind of request; a path may be a callable."""
    bad_eans = ["541448000000000700", "12345", "54144800000000070A", "%FF%FE"]
    return [
        (30, "supplier read", "GET", f"/v1/access-points/{args.ean}?at=2024-07-01T08:00:00Z", args.supplier),
        (10, "supplier history", "GET", f"/v1/access-points/{args.ean}/history", args.supplier),
        (10, "not the supplier's", "GET", lambda: f"/v1/access-points/{args.customer_ean}", args.supplier),
        (8, "bad EAN", "GET", lambda: f"/v1/access-points/{random.choice(bad_eans)}", args.supplier),
        (5, "bad instant", "GET", f"/v1/access-points/{args.ean}?at=2024-13-01T00:00:00Z", args.supplier),
        (8, "no token", "GET", f"/v1/access-points/{args.ean}", None),
        (8, "unknown token", "GET", f"/v1/access-points/{args.ean}", lambda: secrets.token_urlsafe(32)),
        (6, "access log", "GET", "/v1/me/access-log?limit=50", args.customer),
        (4, "journal search", "GET", f"/v1/journal/entries?subject={args.ean}&limit=20", args.auditor),
        (3, "journal head", "GET", "/v1/journal/head", None),
        (3, "inclusion proof", "GET", lambda: f"/v1/journal/proofs/inclusion?index={random.randrange(1000)}&size=1000", None),
        (2, "unknown route", "GET", "/v1/nothing-here", None),
        (2, "wrong method", "POST", f"/v1/access-points/{args.ean}", args.supplier),
        (1, "health", "GET", "/healthz", None),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--seconds", type=int, default=600)
    p.add_argument("--rate", type=float, default=400)
    p.add_argument("--workers", type=int, default=16)
    for name in ["supplier", "auditor", "customer", "ean", "customer-ean"]:
        p.add_argument(f"--{name}", required=True)
    args = p.parse_args()

    table = kinds(args)
    weights = [k[0] for k in table]
    host = urllib.parse.urlparse(args.base)
    start = time.monotonic() + 0.5
    end = start + args.seconds
    lock = threading.Lock()
    state = {"next": 0}
    statuses = Counter()
    by_kind = Counter()
    failures = Counter()

    def worker():
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        rng = random.Random()
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            due = start + i / args.rate
            # A server that falls behind the rate does not stretch the run: what was not sent
            # by the end is not sent, and the shortfall shows in the answered count.
            if due >= end or time.monotonic() >= end:
                return
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            _, name, method, path, token = rng.choices(table, weights)[0]
            path = path() if callable(path) else path
            token = token() if callable(token) else token
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                conn.request(method, path, headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses[response.status] += 1
                    by_kind[(name, response.status)] += 1
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    failures[type(e).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)

    def rss_mb():
        with open(f"/proc/{args.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.workers)]
    for t in threads:
        t.start()
    samples = [(0, rss_mb(), 0)]
    print(f"{'t (s)':>6} {'RSS (MB)':>9} {'requests':>9} {'5xx':>4}", flush=True)
    print(f"{0:>6} {samples[0][1]:>9.1f} {0:>9} {0:>4}", flush=True)
    while any(t.is_alive() for t in threads):
        time.sleep(min(10, max(0.0, end - time.monotonic() + 1)))
        elapsed = round(time.monotonic() - start)
        with lock:
            done = sum(statuses.values())
            errors = sum(n for s, n in statuses.items() if s >= 500)
        samples.append((elapsed, rss_mb(), done))
        print(f"{elapsed:>6} {samples[-1][1]:>9.1f} {done:>9} {errors:>4}", flush=True)
    for t in threads:
        t.join()

    total = sum(statuses.values())
    print()
    print(f"requests answered: {total} in {args.seconds} s ({total / args.seconds:.0f}/s asked {args.rate:.0f}/s)")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    if failures:
        print("failed requests: " + ", ".join(f"{k}: {n}" for k, n in failures.items()))
    print()
    print("| kind | status | count |")
    print("|---|---|---|")
    for (name, status), n in sorted(by_kind.items()):
        print(f"| {name} | {status} | {n} |")
    print()
    print("| t (s) | RSS (MB) |")
    print("|---|---|")
    for elapsed, rss, _ in samples:
        print(f"| {elapsed} | {rss:.1f} |")
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    if server_errors or failures:
        print(f"FAILED: {server_errors} answers were 5xx, {sum(failures.values())} requests failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
