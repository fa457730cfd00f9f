#!/usr/bin/env python3
"""bench/probes.py CMPKIT VECTORS WORK REPROTECT [PROBE...]

Issue 11's probes of the server engine, re-run against a live `cmpkit -port`
(the PKI, secret and vectors of tests/vectors/gen_vectors.sh in VECTORS, e.g.
build-asan/tests/generated-vectors; REPROTECT is build-asan/tests/reprotect).
Each prints what it saw; none fails on a figure (not a test):
  wrongmac     51 wrong-MAC irs a second at iterationCount 100000 from
               127.0.0.2 for 10 s: how many were handled or refused (429), the
               server CPU per request sent, and the valid ir+certConf rate of
               cmpkit client processes (one at a time) calm and meanwhile
  evict        a signature client's transaction waiting for its certConf (held
               back by a proxy here) while the PBM holder sends 1100 irs it never
               confirms: does the certConf still find its transaction
  inuse        a wrong-MAC ir reusing an open transactionID and one with an
               unknown transactionID: the answers, side by side
  replay       an ir sent twice while its transaction is open
  replay_done  an ir with implicitConfirm (-grant_implicitconf) sent twice
Default: all of them. Any cmpkit build works (a release build for the CPU
figures); an older one without the new options answers the same probes.
"""
import http.client
import http.server
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "interop"))
import server_limits as sl  # noqa: E402 (Server, Env, post_from)

if len(sys.argv) < 5:
    sys.exit(__doc__)
cmpkit, vec, work, reprotect = sys.argv[1:5]
which = sys.argv[5:] or ["wrongmac", "evict", "inuse", "replay"]
os.makedirs(work, exist_ok=True)
env = sl.Env(cmpkit, vec, work, reprotect)
pki = os.path.join(vec, "pki")
secret = "file:" + os.path.join(vec, "secret.txt")
ref = open(vec + "/ref.txt").read().strip()


def rp(src, out, *args):
    r = subprocess.run([reprotect, src, out] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit("reprotect: " + r.stdout.decode())
    return open(out, "rb").read()


def printed(data, name):
    p = os.path.join(work, name)
    open(p, "wb").write(data)
    out = subprocess.run([cmpkit, "-print", p], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode(errors="replace")
    keep = [l.strip() for l in out.splitlines()
            if any(k in l for k in ("body", "status", "failInfo", "statusString", "\""))]
    return " | ".join(keep[:8])


def wrongmac():
    body = rp(os.path.join(vec, "ir_pbm_1_ir.der"), os.path.join(work, "wm.der"),
              "--pbm", "pass:not-the-secret", "--iter", "100000", "--fresh")
    srv = env.server("wm", ["-verbosity", "3"])
    env.transaction(srv, "warm")
    seconds, rate = 10.0, 51
    counts = {"200": 0, "429": 0, "other": 0}

    def attacker():
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30,
                                          source_address=("127.0.0.2", 0))
        t, end = time.monotonic(), time.monotonic() + seconds
        while t < end:
            conn.request("POST", "/pkix/", body, {"Content-Type": sl.CT})
            r = conn.getresponse()
            r.read()
            counts[str(r.status) if r.status in (200, 429) else "other"] += 1
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30,
                                                  source_address=("127.0.0.2", 0))
            t += 1.0 / rate
            time.sleep(max(0.0, t - time.monotonic()))
        conn.close()

    # calm: valid transactions (cmpkit client processes) for |seconds|
    def valid_for(s):
        n, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < s:
            env.transaction(srv, "v%d" % n)
            n += 1
        return n / (time.monotonic() - t0)

    c0 = srv.cpu()
    calm = valid_for(seconds)
    c_calm = srv.cpu() - c0
    th = threading.Thread(target=attacker)
    c0 = srv.cpu()
    th.start()
    atk = valid_for(seconds)
    th.join()
    c_atk = srv.cpu() - c0
    sent = sum(counts.values())
    print("wrong-MAC: %d requests (iterationCount 100000, 51/s) from 127.0.0.2 in %.0f s: "
          "%d handled (200), %d refused at once (429), %d other" %
          (sent, seconds, counts["200"], counts["429"], counts["other"]))
    print("wrong-MAC: server CPU %.2f s calm, %.2f s under attack: %.2f ms of CPU per wrong-MAC "
          "request sent (beyond the valid clients' share)" %
          (c_calm, c_atk, 1000 * (c_atk - c_calm * atk / calm) / sent))
    print("wrong-MAC: valid ir+certConf (cmpkit client processes, one at a time): %.1f/s calm, "
          "%.1f/s under attack (%.0f %%)" % (calm, atk, 100 * atk / calm))
    print("wrong-MAC: server log: " + " / ".join(
        l.strip() for l in srv.log().splitlines() if "429" in l or "refus" in l)[:400])
    srv.stop()


def evict():
    # a victim (signature client, another credential) whose transaction waits for its certConf
    # (held back by a proxy) while the PBM holder sends 1100 irs it never confirms
    n = 1100
    bodies = [rp(os.path.join(vec, "ir_pbm_1_ir.der"), os.path.join(work, "e%d.der" % i),
                 "--pbm", secret, "--fresh") for i in range(n)]
    srv = env.server("evict", ["-verbosity", "3"])
    held, go = threading.Event(), threading.Event()
    seen = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(len(body))
            if len(seen) == 2:  # the certConf: wait for the flood
                held.set()
                go.wait(60)
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            c.request("POST", "/pkix/", body, {"Content-Type": sl.CT})
            r = c.getresponse()
            data = r.read()
            c.close()
            self.send_response(r.status)
            self.send_header("Content-Type", sl.CT)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    px = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=px.serve_forever, daemon=True).start()
    args = [cmpkit, "-config", "", "-server", "127.0.0.1:%d" % px.server_address[1], "-cmd", "ir",
            "-cert", pki + "/client.crt", "-key", pki + "/client.key",
            "-trusted", pki + "/root.crt", "-newkey", pki + "/ee.key",
            "-subject", "/CN=victim", "-certout", os.path.join(work, "victim.crt"),
            "-msg_timeout", "60", "-total_timeout", "90"]
    victim = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if not held.wait(30):
        sys.exit("the victim sent no certConf: " + victim.communicate()[0].decode())
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30,
                                      source_address=("127.0.0.2", 0))
    t0, st, kinds = time.monotonic(), {}, {}
    for b in bodies:
        conn.request("POST", "/pkix/", b, {"Content-Type": sl.CT})
        r = conn.getresponse()
        d = r.read()
        st[r.status] = st.get(r.status, 0) + 1
    took = time.monotonic() - t0
    go.set()
    out = victim.communicate(timeout=60)[0].decode(errors="replace")
    px.shutdown()
    print("evict: %d unconfirmed irs of the PBM holder in %.2f s, HTTP statuses %r" %
          (n, took, st))
    print("evict: the signature client's certConf afterwards: client status %d%s" %
          (victim.returncode, "" if victim.returncode == 0 else " | " + " | ".join(
              l.strip() for l in out.splitlines() if "rror" in l)[:500]))
    srv.stop()


def inuse():
    srv = env.server("inuse", ["-verbosity", "3"])
    a = rp(os.path.join(vec, "ir_pbm_1_ir.der"), os.path.join(work, "a.der"), "--pbm", secret,
           "--fresh")
    s, _, r = sl.post_from("127.0.0.1", srv.port, a)
    print("in use: a valid ir opens a transaction: %d %s" % (s, printed(r, "a_rsp.der")))
    known = rp(os.path.join(work, "a.der"), os.path.join(work, "known.der"),
               "--pbm", "pass:wrong-secret")
    unknown = rp(os.path.join(vec, "ir_pbm_1_ir.der"), os.path.join(work, "unknown.der"),
                 "--pbm", "pass:wrong-secret", "--fresh")
    s1, _, r1 = sl.post_from("127.0.0.2", srv.port, known)
    s2, _, r2 = sl.post_from("127.0.0.3", srv.port, unknown)
    p1, p2 = printed(r1, "known_rsp.der"), printed(r2, "unknown_rsp.der")
    print("in use: wrong-MAC ir reusing the open transactionID: %d %s" % (s1, p1))
    print("in use: wrong-MAC ir with an unknown transactionID:  %d %s" % (s2, p2))
    print("in use: same answer: %s" % (p1.split("senderNonce")[0] == p2.split("senderNonce")[0]))
    srv.stop()


def replay():
    srv = env.server("replay", ["-verbosity", "3"])
    a = rp(os.path.join(vec, "ir_pbm_1_ir.der"), os.path.join(work, "r.der"), "--pbm", secret,
           "--fresh")
    s, _, r = sl.post_from("127.0.0.1", srv.port, a)
    print("replay: the ir: %d %s" % (s, printed(r, "r1.der")))
    s, _, r = sl.post_from("127.0.0.1", srv.port, a)
    print("replay: the same ir again: %d %s" % (s, printed(r, "r2.der")))
    srv.stop()


def replay_done():
    srv = env.server("replay2", ["-verbosity", "3", "-grant_implicitconf"])
    a = rp(os.path.join(vec, "implicit_pbm_1_ir.der"), os.path.join(work, "r2.der"), "--pbm",
           secret, "--fresh")
    s, _, r = sl.post_from("127.0.0.1", srv.port, a)
    print("replay (implicitConfirm, transaction over): the ir: %d %s" % (s, printed(r, "r3.der")))
    s, _, r = sl.post_from("127.0.0.1", srv.port, a)
    print("replay (implicitConfirm, transaction over): again: %d %s" % (s, printed(r, "r4.der")))
    srv.stop()


try:
    for w in which:
        globals()[w]()
finally:
    env.cleanup()
