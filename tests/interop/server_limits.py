#!/usr/bin/env python3
"""server_limits.py CMPKIT VECTORS WORKDIR TEST

The cmpkit server (-port) under the attacks of issue 11, one TEST per run:

  idle_flood  2000 idle connections from 127.0.0.2 are held while a valid
              ir+certConf from 127.0.0.1 completes within 1 s; the server's
              descriptors stay bounded and return to their baseline once the
              connections close; SIGTERM then stops the server within 2 s.
  full        the total limit: 300 idle connections from 30 addresses against
              -srv_max_conns 16 (8 per address): the server never holds more
              than its limit, closes the longest-idle connections to make
              room, a valid transaction still completes, and every count is
              given back.
  deadline    1 byte/s drips: of a request line (closed -srv_idle_timeout
              after the connection opened), of the head after the first line
              and of a body (closed -srv_req_timeout after the first line),
              while a keep-alive client that is idle for less than the idle
              timeout keeps its connection; SIGTERM during the drips.
  budget      400 connections each sending half of a declared 1 MiB body and
              then nothing: the server's RSS stays under its baseline plus
              -srv_body_budget (scaled down to 16 MiB), the requests beyond
              the budget (3/4 of it for large bodies) get 503 at once, and a
              valid transaction (a small body) is still served.
  per_addr    -srv_max_conns_per_addr 4: a fifth connection from one address
              is refused with 503 while other addresses are served, and a slot
              given back can be taken again.
  options     the limits' ranges, each refusal naming the option, and limits
              (the engine's iteration cap, a listener limit) from the config
              file.
  throttle    50 wrong-MAC requests per second at iterationCount 100000 from
              127.0.0.2 for 4 s (-srv_fail_cpu 20): most are answered 429 at
              once, with Retry-After and an unprotected CMP error
              (systemUnavail), the server spends a small share of a core on
              them, valid transactions from 127.0.0.1 meanwhile all complete,
              the refusal is logged once, and once the budget has refilled
              the address is heard again.

usage: server_limits.py CMPKIT VECTORS WORKDIR TEST [REPROTECT]
The test PKI, secret and reference are those tests/vectors/gen_vectors.sh made
in VECTORS; REPROTECT (tests/interop/reprotect.c) makes the throttle test's
wrong-MAC request. Exit status 0 when every check passed, 1 otherwise.
"""
import errno
import http.client
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time

CT = "application/pkixcmp"


def fail(msg):
    print("server_limits: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("   ok  " + msg)


class Server:
    """A `cmpkit -port` process with the test credentials."""

    def __init__(self, cmpkit, vec, work, name, extra, port="127.0.0.1:0", config=""):
        pki = os.path.join(vec, "pki")
        self.err_path = os.path.join(work, "server_%s.err" % name)
        self.err = open(self.err_path, "w")
        args = [cmpkit, "-config", config, "-port", port,
                "-srv_cert", pki + "/server.crt", "-srv_key", pki + "/server.key",
                "-srv_secret", "file:" + vec + "/secret.txt",
                "-srv_ref", open(vec + "/ref.txt").read().strip(),
                "-srv_trusted", pki + "/root.crt", "-rsp_cert", pki + "/ee.crt"] + extra
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.err)
        ready = select.select([self.proc.stdout], [], [], 20)[0]
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("ACCEPT "):
            self.proc.kill()
            fail("server %s printed no ACCEPT line: %r\n%s" % (name, line, self.log()))
        self.port = int(line.split()[1].rsplit(":", 1)[1])
        self.pid = self.proc.pid
        self.name = name

    def log(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def cpu(self):
        """Seconds of CPU (user + system, all threads) the server has used."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, within=2.0):
        """SIGTERM; the server must exit with status 0 within |within| seconds."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=within + 3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("server %s ignored SIGTERM\n%s" % (self.name, self.log()[-3000:]))
        took = time.monotonic() - t0
        if took > within:
            fail("server %s took %.2f s to stop on SIGTERM (at most %.1f)" % (self.name, took, within))
        if rc != 0:
            fail("server %s exited with status %d on SIGTERM\n%s" % (self.name, rc, self.log()[-3000:]))
        return took

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


class Env:
    def __init__(self, cmpkit, vec, work, reprotect=None):
        self.cmpkit, self.vec, self.work, self.reprotect = cmpkit, vec, work, reprotect
        self.servers = []

    def server(self, name, extra, port="127.0.0.1:0", config=""):
        s = Server(self.cmpkit, self.vec, self.work, name, extra, port, config)
        self.servers.append(s)
        return s

    def transaction(self, srv, name, expect_ok=True):
        """A valid ir+certConf from 127.0.0.1 with the cmpkit client: its time in seconds."""
        pki = os.path.join(self.vec, "pki")
        args = [self.cmpkit, "-config", "", "-server", "127.0.0.1:%d" % srv.port,
                "-ref", open(self.vec + "/ref.txt").read().strip(),
                "-secret", "file:" + self.vec + "/secret.txt", "-cmd", "ir",
                "-newkey", pki + "/ee.key", "-subject", "/CN=cmpkit limits test",
                "-srvcert", pki + "/server.crt",
                "-certout", os.path.join(self.work, name + ".crt"),
                "-msg_timeout", "10", "-total_timeout", "20"]
        t0 = time.monotonic()
        try:
            r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        except subprocess.TimeoutExpired:
            fail("transaction %s: the client did not end within 30 s" % name)
        took = time.monotonic() - t0
        if (r.returncode == 0) != expect_ok:
            fail("transaction %s: client status %d\n%s\n--- server log:\n%s" %
                 (name, r.returncode, r.stdout.decode(errors="replace"), srv.log()[-3000:]))
        return took

    def cleanup(self):
        for s in self.servers:
            s.kill()


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < n:
        fail("cannot raise RLIMIT_NOFILE to %d (hard limit %s)" % (n, hard))


def connect_from(src, port, n, block=False):
    """|n| TCP connections from address |src| to 127.0.0.1:|port|, connects under way."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.setblocking(block)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
    return socks


def wait_connected(socks, seconds):
    """Waits until each connect has finished (either way) or |seconds| passed."""
    p = select.poll()
    for s in socks:
        p.register(s, select.POLLOUT)
    pending = len(socks)
    deadline = time.monotonic() + seconds
    while pending > 0 and time.monotonic() < deadline:
        for fd, _ in p.poll(200):
            p.unregister(fd)
            pending -= 1


def closed_by_peer(s):
    """1 if the server closed |s| (EOF or reset), reading and dropping whatever it sent."""
    p = select.poll()
    p.register(s, select.POLLIN)
    try:
        while p.poll(0):
            if not s.recv(65536):
                return True
        return False
    except OSError:
        return True


def wait_until(what, seconds, step=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(step)
    return what()


def wait_fds(srv, baseline, seconds):
    return wait_until(lambda: srv.fds() <= baseline, seconds)


def close_all(socks):
    for s in socks:
        s.close()


# ---- the tests -------------------------------------------------------------------------

def test_idle_flood(env):
    raise_nofile(2000 + 200)
    srv = env.server("idle_flood", ["-verbosity", "4"], port="0")  # dual-stack: IPv4-mapped peers
    env.transaction(srv, "warmup")
    time.sleep(0.3)
    base = srv.fds()
    socks = connect_from("127.0.0.2", srv.port, 2000)
    wait_connected(socks, 5)
    time.sleep(0.3)
    held = srv.fds()
    took = env.transaction(srv, "during_flood")
    if took >= 1.0:
        fail("the valid transaction took %.2f s while 2000 idle connections were open" % took)
    ok("valid ir+certConf from 127.0.0.1 in %.3f s while 2000 connections from 127.0.0.2 are open"
       % took)
    if held > base + 64 + 4:
        fail("the server holds %d descriptors with the flood, baseline %d: more than the 64 of "
             "-srv_max_conns_per_addr" % (held, base))
    refused = sum(1 for s in socks if closed_by_peer(s))
    if refused < 2000 - 64:
        fail("only %d of 2000 connections from one address were refused" % refused)
    ok("descriptors %d with the flood (baseline %d); %d of 2000 connections refused"
       % (held, base, refused))
    close_all(socks)
    if not wait_fds(srv, base, 3):
        fail("descriptors did not return to the baseline %d: %d" % (base, srv.fds()))
    ok("descriptors back to the baseline (%d) after the connections closed" % base)
    lines = [l for l in srv.log().splitlines() if "refusing connections from 127.0.0.2" in l]
    if not 1 <= len(lines) <= 2:
        fail("expected the refusals logged once (rate-limited), got %d lines" % len(lines))
    ok("refusals logged once: %s" % lines[0].strip())
    ok("SIGTERM stopped the server in %.3f s" % srv.stop())


def test_full(env):
    raise_nofile(600)
    srv = env.server("full", ["-verbosity", "4", "-srv_max_conns", "16",
                              "-srv_max_conns_per_addr", "8", "-srv_idle_timeout", "30"])
    env.transaction(srv, "warmup")
    time.sleep(0.3)
    base = srv.fds()
    socks = []
    for a in range(30):
        socks += connect_from("127.0.0.%d" % (10 + a), srv.port, 10)
    most = 0
    t_end = time.monotonic() + 1.0
    while time.monotonic() < t_end:
        most = max(most, srv.fds())
        time.sleep(0.01)
    took = env.transaction(srv, "while_full")
    ok("valid transaction in %.3f s with 300 idle connections against -srv_max_conns 16" % took)
    # A connection being closed may still hold its descriptor for a moment.
    if most > base + 16 + 2:
        fail("the server held %d descriptors, baseline %d, limit 16" % (most, base))
    ok("at most %d descriptors (baseline %d, -srv_max_conns 16)" % (most, base))
    log = srv.log()
    for want in ("all 16 connections are in use", "to make room"):
        if want not in log:
            fail("no '%s' in the log:\n%s" % (want, log[-2000:]))
    ok("the server logged that it was full and closed idle connections")
    close_all(socks)
    if not wait_fds(srv, base, 5):
        fail("descriptors did not return to the baseline %d: %d" % (base, srv.fds()))
    ok("descriptors back to the baseline")
    # Each address's count went back to 0: one of them may open its 8 again without a 503.
    # (Connections of the flood that the kernel completes late are accepted and closed
    # meanwhile; they may take a slot, never this address's count.)
    time.sleep(1)
    again = connect_from("127.0.0.10", srv.port, 8, block=True)
    time.sleep(0.3)
    for s in again:
        s.setblocking(False)
        try:
            if s.recv(12).startswith(b"HTTP/1.1 503"):
                fail("127.0.0.10 could not open 8 connections again: its count was not given back")
        except OSError:
            pass
    close_all(again)
    ok("each address's count was given back")
    env.transaction(srv, "after_full")
    ok("SIGTERM stopped the server in %.3f s" % srv.stop())


def drip(s, data, until, first_at):
    """Sends |data| one byte a second from |first_at| on; the time the server closed |s| or None."""
    i = 0
    while time.monotonic() < until:
        if i < len(data) and time.monotonic() >= first_at + i:
            try:
                s.send(data[i:i + 1])
            except OSError:
                return time.monotonic()
            i += 1
        if closed_by_peer(s):
            return time.monotonic()
        time.sleep(0.02)
    return None


def test_deadline(env):
    idle, req = 2, 3
    srv = env.server("deadline", ["-verbosity", "4", "-srv_idle_timeout", str(idle),
                                  "-srv_req_timeout", str(req)])
    head = ("POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
            "Content-Length: 1000\r\n\r\n" % CT).encode()
    line_end = head.index(b"\r\n") + 2
    # three drips at once: the request line; the head after its first line; the body
    a, b, c = connect_from("127.0.0.1", srv.port, 3, block=True)
    t0 = time.monotonic()
    b.send(head[:line_end])
    c.send(head)
    # and a keep-alive connection that is idle for less than the idle timeout, then used
    k = socket.create_connection(("127.0.0.1", srv.port))
    until = t0 + 12
    closed = {}
    i = 0
    keep_ok = None
    while time.monotonic() < until and len(closed) < 3:
        now = time.monotonic()
        for name, s, data in (("line", a, head), ("head", b, head[line_end:]),
                              ("body", c, b"\x30" * 1000)):
            if name in closed:
                continue
            if i < len(data) and now >= t0 + i:
                try:
                    s.send(data[i:i + 1])
                except OSError:
                    closed[name] = now - t0
                    continue
            if closed_by_peer(s):
                closed[name] = now - t0
        if now >= t0 + i:
            i += 1
        if keep_ok is None and now >= t0 + idle - 0.8:
            k.send(("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 0\r\n\r\n"
                    % CT).encode())
            k.settimeout(5)
            # an empty body is no PKIMessage: 400 with a CMP error message (RFC 9811 3.3)
            keep_ok = k.recv(12).startswith(b"HTTP/1.1 400")
        time.sleep(0.02)
    for name, limit in (("line", idle), ("head", req), ("body", req)):
        if name not in closed:
            fail("the %s drip was not closed within 12 s\n%s" % (name, srv.log()[-2000:]))
        # the watchdog looks every 0.2 s; a close needs a moment more
        if not limit - 0.1 <= closed[name] <= limit + 1.0:
            fail("the %s drip was closed after %.2f s, expected about %d s" % (name, closed[name], limit))
        ok("1 byte/s drip of the %s closed after %.2f s (deadline %d s)" % (name, closed[name], limit))
    if not keep_ok:
        fail("a keep-alive connection idle for %.1f s (under -srv_idle_timeout %d) was not served"
             % (idle - 0.8, idle))
    ok("a keep-alive connection idle for less than -srv_idle_timeout is still served")
    if "longer than %d s (-srv_req_timeout)" % req not in srv.log():
        fail("the request deadline was not logged:\n" + srv.log()[-2000:])
    ok("the request deadline was logged")
    # SIGTERM while two more drips go on
    d1, d2 = connect_from("127.0.0.1", srv.port, 2, block=True)
    d2.send(head[:line_end + 3])
    time.sleep(0.5)
    ok("SIGTERM stopped the server in %.3f s with drips under way" % srv.stop())
    close_all([a, b, c, k, d1, d2])


def test_budget(env):
    raise_nofile(1000)
    budget = 16 << 20
    srv = env.server("budget", ["-verbosity", "4", "-srv_body_budget", str(budget),
                                "-srv_max_conns", "600", "-srv_max_conns_per_addr", "600",
                                "-srv_idle_timeout", "60", "-srv_req_timeout", "60"])
    env.transaction(srv, "warmup")
    time.sleep(0.3)
    base = srv.rss_kb()
    head = ("POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
            "Content-Length: %d\r\n\r\n" % (CT, 1 << 20)).encode()
    half = 1 << 19
    socks = connect_from("127.0.0.1", srv.port, 400)
    wait_connected(socks, 5)
    left = {}
    for s in socks:
        try:
            s.send(head)
            left[s] = half
        except OSError:
            pass
    chunk = b"\x30" * 65536
    deadline = time.monotonic() + 30
    peak = base
    by_fd = {s.fileno(): s for s in left}
    p = select.poll()
    for s in left:
        p.register(s, select.POLLOUT)
    while left and time.monotonic() < deadline:
        for fd, _ in p.poll(200):
            s = by_fd[fd]
            try:
                n = s.send(chunk[:min(len(chunk), left[s])])
                left[s] -= n
            except OSError:
                n = -1
            if n < 0 or left[s] <= 0:
                del left[s]
                p.unregister(fd)
        peak = max(peak, srv.rss_kb())
    time.sleep(0.5)
    peak = max(peak, srv.rss_kb())
    limit = base + budget // 1024
    if peak > limit:
        fail("RSS %d kB with 400 half-sent 1 MiB bodies: above the baseline %d kB + the budget "
             "%d kB" % (peak, base, budget // 1024))
    ok("RSS at most %d kB with 400 half-sent 1 MiB bodies (baseline %d kB + budget %d kB = %d kB)"
       % (peak, base, budget // 1024, limit))
    got503 = 0
    for s in socks:
        try:
            s.setblocking(True)
            s.settimeout(0.05)
            if s.recv(12).startswith(b"HTTP/1.1 503"):
                got503 += 1
        except OSError:
            pass
    # Bodies above 64 KiB may fill 3/4 of the budget: 12 of 1 MiB; the other 388 are refused
    # before their body.
    held = budget * 3 // 4 // (1 << 20)
    if got503 < 400 - held - 8:
        fail("only %d of 400 requests got 503 once the budget was spent" % got503)
    ok("%d of 400 requests got 503 at once (3/4 of the budget holds %d)" % (got503, held))
    if "-srv_body_budget" not in srv.log():
        fail("the budget refusals were not logged")
    took = env.transaction(srv, "during_budget")
    ok("a valid (small) transaction is served in %.3f s while the large bodies are held" % took)
    ok("SIGTERM stopped the server in %.3f s with bodies half sent" % srv.stop())
    close_all(socks)


def test_per_addr(env):
    srv = env.server("per_addr", ["-verbosity", "4", "-srv_max_conns_per_addr", "4",
                                  "-srv_idle_timeout", "30"])
    env.transaction(srv, "warmup")
    time.sleep(0.3)
    base = srv.fds()
    four = connect_from("127.0.0.3", srv.port, 4, block=True)
    time.sleep(0.3)
    if any(closed_by_peer(s) for s in four):
        fail("one of 4 connections from 127.0.0.3 was closed (the limit is 4)")
    fifth = connect_from("127.0.0.3", srv.port, 1, block=True)[0]
    fifth.settimeout(2)
    try:
        answer = fifth.recv(100)
    except OSError:
        answer = b""
    if not answer.startswith(b"HTTP/1.1 503"):
        fail("a fifth connection from 127.0.0.3 was not refused with 503: %r" % answer)
    ok("a fifth connection from 127.0.0.3 gets 503 and is closed")
    other = connect_from("127.0.0.4", srv.port, 4, block=True)
    time.sleep(0.3)
    if any(closed_by_peer(s) for s in other):
        fail("connections from 127.0.0.4 were closed: the limit is per address")
    env.transaction(srv, "other_addr")
    ok("127.0.0.4 and 127.0.0.1 are served while 127.0.0.3 is at its limit")
    four[0].close()
    time.sleep(0.3)
    again = connect_from("127.0.0.3", srv.port, 1, block=True)[0]
    time.sleep(0.3)
    if closed_by_peer(again):
        fail("after one of its connections closed, 127.0.0.3 could not connect again")
    ok("a slot given back is taken again")
    if "refusing connections from 127.0.0.3: it has 4 open" not in srv.log():
        fail("the refusal was not logged:\n" + srv.log()[-2000:])
    close_all(four[1:] + other + [fifth, again])
    if not wait_fds(srv, base, 3):
        fail("descriptors did not return to the baseline %d: %d" % (base, srv.fds()))
    ok("descriptors back to the baseline")
    ok("SIGTERM stopped the server in %.3f s" % srv.stop())


def test_options(env):
    """The limits as options: ranges checked with the option named; the config file."""
    pki = os.path.join(env.vec, "pki")
    base = [env.cmpkit, "-config", "", "-port", "127.0.0.1:0", "-srv_ref", "x",
            "-srv_secret", "pass:x", "-srv_cert", pki + "/server.crt",
            "-srv_key", pki + "/server.key", "-rsp_cert", pki + "/ee.crt"]
    for extra, want in ((["-srv_max_conns", "0"], "-srv_max_conns needs a positive number"),
                        (["-srv_threads", "65"], "-srv_threads 65 is out of range"),
                        (["-srv_req_timeout", "86401"], "-srv_req_timeout 86401 is out of range"),
                        (["-srv_max_txns", "1000001"], "-srv_max_txns 1000001 is out of range"),
                        (["-srv_max_body", "2000", "-srv_body_budget", "1000"],
                         "less than -srv_max_body 2000"),
                        (["-srv_max_body", "100000", "-srv_body_budget", "120000"],
                         "holds bodies of at most 90000 bytes"),
                        (["-srv_fail_cpu", "1001"], "-srv_fail_cpu 1001 is out of range"),
                        (["-srv_max_txns_per_sender", "0"],
                         "-srv_max_txns_per_sender needs a positive number"),
                        (["-srv_replay_cache", "16777217"],
                         "-srv_replay_cache 16777217 is out of range"),
                        (["-srv_msgtime_window", "-1"],
                         "-srv_msgtime_window needs a positive number")):
        try:
            r = subprocess.run(base + extra, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=20)
        except subprocess.TimeoutExpired:
            fail("%s: the server started" % " ".join(extra))
        out = r.stdout.decode(errors="replace")
        if r.returncode != 1 or want not in out:
            fail("%s: status %d, expected 1 and '%s':\n%s" % (" ".join(extra), r.returncode,
                                                               want, out))
        ok("%s refused: %s" % (" ".join(extra), want))
    # From the config file: the engine's cap on the PBM iteration count (the client asks for
    # 500) and a listener limit.
    cnf = os.path.join(env.work, "limits.cnf")
    with open(cnf, "w") as f:
        f.write("[cmp]\nsrv_max_iterations = 100\nsrv_max_conns_per_addr = 2\n")
    srv = env.server("options", ["-verbosity", "4"], config=cnf)
    env.transaction(srv, "iterations", expect_ok=False)
    if "PBM iterationCount 500 exceeds the limit 100" not in srv.log():
        fail("srv_max_iterations = 100 from the config file did not apply:\n" + srv.log())
    ok("srv_max_iterations from the config file: a request of 500 iterations gets badAlg")
    # The messageTime window from the config file: a request made an hour ago gets badTime.
    old = os.path.join(env.work, "ir_an_hour_old.der")
    with open(cnf, "w") as f:
        f.write("[cmp]\nsrv_msgtime_window = 60\n")
    if env.reprotect is not None:
        r = subprocess.run([env.reprotect, os.path.join(env.vec, "ir_pbm_1_ir.der"), old, "--pbm",
                            "file:" + os.path.join(env.vec, "secret.txt"), "--fresh",
                            "--time-offset", "-3600"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            fail("reprotect: %s" % r.stdout.decode(errors="replace"))
        win = env.server("window", ["-verbosity", "4"], config=cnf)
        status, _, body = post_from("127.0.0.1", win.port, open(old, "rb").read())
        if status != 200 or "messageTime is -36" not in win.log():
            fail("srv_msgtime_window = 60 from the config file did not apply (%d):\n%s"
                 % (status, win.log()))
        ok("srv_msgtime_window from the config file: a request made an hour ago gets badTime")
        win.stop()
    two = connect_from("127.0.0.5", srv.port, 3, block=True)
    two[2].settimeout(2)
    try:
        third = two[2].recv(12)
    except OSError:
        third = b""
    if not third.startswith(b"HTTP/1.1 503"):
        fail("srv_max_conns_per_addr = 2 from the config file did not apply: %r" % third)
    close_all(two)
    ok("srv_max_conns_per_addr from the config file: a third connection gets 503")
    ok("SIGTERM stopped the server in %.3f s" % srv.stop())


def post_from(src, port, body, timeout=30):
    """POSTs |body| from address |src| on a new connection: (status, headers, response body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(src, 0))
    try:
        conn.request("POST", "/pkix/", body, {"Content-Type": CT})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_throttle(env):
    if env.reprotect is None or not os.access(env.reprotect, os.X_OK):
        fail("the throttle test needs the reprotect program (5th argument)")
    attack = os.path.join(env.work, "wrong_mac_100000.der")
    r = subprocess.run([env.reprotect, os.path.join(env.vec, "ir_pbm_1_ir.der"), attack,
                        "--pbm", "pass:not-the-secret", "--iter", "100000", "--fresh"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        fail("reprotect: %s" % r.stdout.decode(errors="replace"))
    body = open(attack, "rb").read()
    srv = env.server("throttle", ["-verbosity", "4", "-srv_fail_cpu", "20"])
    env.transaction(srv, "warmup")

    seconds, rate = 4.0, 50
    counts = {"handled": 0, "429": 0, "other": 0}
    sample = {}
    errors = []

    def attacker():
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30,
                                          source_address=("127.0.0.2", 0))
        t, end = time.monotonic(), time.monotonic() + seconds
        try:
            while t < end:
                conn.request("POST", "/pkix/", body, {"Content-Type": CT})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status == 429:
                    counts["429"] += 1
                    sample.setdefault("429", (dict(resp.getheaders()), data))
                elif resp.status == 200:
                    counts["handled"] += 1
                else:
                    counts["other"] += 1
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30,
                                                      source_address=("127.0.0.2", 0))
                t += 1.0 / rate
                time.sleep(max(0.0, t - time.monotonic()))
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))
        finally:
            conn.close()

    cpu0, t0 = srv.cpu(), time.monotonic()
    th = threading.Thread(target=attacker)
    th.start()
    valid, worst = 0, 0.0
    while time.monotonic() - t0 < seconds - 0.5:
        worst = max(worst, env.transaction(srv, "valid_%d" % valid))
        valid += 1
    th.join()
    cpu, wall = srv.cpu() - cpu0, time.monotonic() - t0
    if errors:
        fail("the attacker's connection failed: %s" % errors[0])
    sent = counts["handled"] + counts["429"] + counts["other"]
    if counts["other"] or counts["429"] < sent * 3 // 4 or counts["handled"] > sent // 8:
        fail("of %d wrong-MAC requests %d were handled, %d got 429, %d something else: the "
             "address was not throttled" % (sent, counts["handled"], counts["429"],
                                            counts["other"]))
    ok("%d wrong-MAC requests (iterationCount 100000) from 127.0.0.2 in %.1f s: %d handled, "
       "%d answered 429 at once" % (sent, wall, counts["handled"], counts["429"]))
    if cpu > 0.5 * wall:
        fail("the server used %.2f s of CPU in %.1f s under the attack" % (cpu, wall))
    ok("server CPU %.2f s in %.1f s (%.0f%% of a core), with %d valid transactions"
       % (cpu, wall, 100 * cpu / wall, valid))
    if valid < 2:
        fail("only %d valid transactions completed during the attack" % valid)
    ok("%d valid ir+certConf from 127.0.0.1 completed meanwhile, the slowest in %.2f s"
       % (valid, worst))
    headers, data = sample["429"]
    retry = headers.get("Retry-After", "")
    if not retry.isdigit() or int(retry) < 1 or headers.get("Content-Type") != CT:
        fail("429 without Retry-After or CMP body: %r" % headers)
    refusal = os.path.join(env.work, "refusal_429.der")
    with open(refusal, "wb") as f:
        f.write(data)
    p = subprocess.run([env.cmpkit, "-print", refusal], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    printed = p.stdout.decode(errors="replace")
    if p.returncode != 0 or "error" not in printed or "systemUnavail" not in printed:
        fail("the 429 body is not a CMP error with systemUnavail:\n" + printed)
    ok("429 with Retry-After %s and a CMP error message (systemUnavail)" % retry)
    lines = [l for l in srv.log().splitlines() if "answering 429 at once to 127.0.0.2" in l]
    if not 1 <= len(lines) <= 2:
        fail("expected the throttling logged once (rate-limited), got %d lines" % len(lines))
    ok("logged once: %s" % lines[0].strip())
    # The debt is at most one bucket (2 s of budget): heard again after that.
    time.sleep(2.5)
    status, _, _ = post_from("127.0.0.2", srv.port, body)
    if status != 200:
        fail("127.0.0.2 still refused (%d) after its budget refilled" % status)
    ok("after its budget refilled 127.0.0.2 is heard again (a CMP error for the wrong MAC)")
    ok("SIGTERM stopped the server in %.3f s" % srv.stop())


TESTS = {"options": test_options, "idle_flood": test_idle_flood, "full": test_full, "deadline": test_deadline,
         "budget": test_budget, "per_addr": test_per_addr, "throttle": test_throttle}


def main():
    if len(sys.argv) not in (5, 6) or sys.argv[4] not in TESTS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmpkit, vec, work, name = sys.argv[1:5]
    reprotect = sys.argv[5] if len(sys.argv) == 6 else None
    for f in ("pki/server.crt", "pki/server.key", "pki/root.crt", "pki/ee.crt", "pki/ee.key",
              "secret.txt", "ref.txt"):
        if not os.path.exists(os.path.join(vec, f)):
            fail("missing %s/%s (run tests/vectors/gen_vectors.sh first)" % (vec, f))
    os.makedirs(work, exist_ok=True)
    env = Env(cmpkit, vec, work, reprotect)
    try:
        TESTS[name](env)
    finally:
        env.cleanup()
    print("server_limits %s: passed" % name)


if __name__ == "__main__":
    main()
