#!/usr/bin/env python3
"""server_tls.py CMPKIT VECTORS WORKDIR TEST

The cmpkit server on HTTPS (-srv_tls_cert ...), one TEST per run, against a
throwaway TLS PKI made in WORKDIR with the machine's openssl (a CA, a server
certificate for localhost and 127.0.0.1, a client certificate, another CA):

  clients   the cmpkit client (ir+certConf, -tls_used -tls_trusted) without
            and with a client certificate (-tls_cert/-tls_key), which the
            server's log shows as the responder's peer; -tls_host naming the
            certificate's host name and a wrong one; a wrong trust anchor
            failing with the certificate problem named; the client with
            -tls_used on a plain-HTTP port told that the port is not TLS.
  peers     openssl cmp 3.0 (the machine's) and 3.6.1 (../shared/peers/openssl36,
            skipped when absent) with -tls_used, with a client certificate;
            curl (the CLI; skipped when absent) posting a request.
  plain     plain HTTP to the TLS port: 400 and a text that says HTTPS, the
            connection closed; the next TLS client is served.
  forms     the server's certificate and key as PKCS#12 (pass:), encrypted PEM
            (env:), DER with an encrypted key (file:) and PEM from stdin
            (-srv_tls_keypass stdin), each serving a client; a wrong pass
            phrase and a key that does not match refused at start naming the
            option.
  require   -srv_tls_verify require: no client certificate, or one from another
            CA, fails the handshake (logged); with one, served.
  stall     -srv_idle_timeout 1, -srv_max_conns_per_addr 2: a half-sent
            ClientHello and a silent connection are closed at the deadline, a
            third connection of that address is refused while they hold their
            slots, the slots and the pump threads are given back (descriptors
            and threads at their baseline), a TLS client of that address is
            then served, and SIGTERM during new stalls stops within 2 s.

usage: server_tls.py CMPKIT VECTORS WORKDIR TEST
Exit status 0 when every check passed, 1 otherwise, 77 if a tool it needs
(the openssl CLI) is missing.
"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_limits import Env, closed_by_peer, fail, ok, wait_until  # noqa: E402

PEER36 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                      "peers", "openssl36")


def run(args, env=None, stdin=None, timeout=60):
    try:
        return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              input=stdin, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("%s did not end within %d s" % (" ".join(args[:3]), timeout))


def openssl(work, *args):
    r = run(["openssl"] + list(args))
    if r.returncode != 0:
        fail("openssl %s: %s" % (" ".join(args[:3]), r.stdout.decode(errors="replace")))


def make_pki(work):
    """The throwaway TLS PKI: tls/{ca,srv,cli,other}.{crt,key} and other forms."""
    d = os.path.join(work, "tls")
    if os.path.exists(os.path.join(d, "done")):
        return d
    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for ca in ("ca", "other"):
        openssl(work, "req", "-x509", *ec, "-keyout", p(ca + ".key"), "-out", p(ca + ".crt"),
                "-subj", "/CN=cmpkit TLS test " + ca, "-days", "2")
    with open(p("srv.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    with open(p("cli.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, ca, ext in (("srv", "ca", "srv.ext"), ("cli", "ca", "cli.ext"),
                          ("rogue", "other", "cli.ext")):
        openssl(work, "req", *ec, "-keyout", p(name + ".key"), "-out", p(name + ".csr"),
                "-subj", "/CN=cmpkit TLS " + name)
        openssl(work, "x509", "-req", "-in", p(name + ".csr"), "-CA", p(ca + ".crt"), "-CAkey",
                p(ca + ".key"), "-CAcreateserial", "-out", p(name + ".crt"), "-days", "2",
                "-extfile", p(ext))
    openssl(work, "pkcs12", "-export", "-in", p("srv.crt"), "-inkey", p("srv.key"), "-out",
            p("srv.p12"), "-passout", "pass:p12pass")
    openssl(work, "pkey", "-in", p("srv.key"), "-out", p("srv-enc.pem"), "-aes-128-cbc",
            "-passout", "pass:pempass")
    openssl(work, "x509", "-in", p("srv.crt"), "-outform", "DER", "-out", p("srv.der"))
    openssl(work, "pkcs8", "-topk8", "-in", p("srv.key"), "-outform", "DER", "-out",
            p("srv-enc.der"), "-v2", "aes-128-cbc", "-passout", "pass:derpass")
    with open(p("derpass.txt"), "w") as f:
        f.write("derpass\n")
    with open(p("done"), "w") as f:
        f.write("")
    return d


class Tls:
    def __init__(self, env, pki):
        self.env, self.pki = env, pki

    def p(self, n):
        return os.path.join(self.pki, n)

    def server(self, name, extra=None, cert=None):
        args = cert if cert is not None else ["-srv_tls_cert", self.p("srv.crt"),
                                              "-srv_tls_key", self.p("srv.key")]
        return self.env.server(name, args + (extra or []))

    def cmp_args(self, name):
        vec = self.env.vec
        pki = os.path.join(vec, "pki")
        return ["-ref", open(vec + "/ref.txt").read().strip(),
                "-secret", "file:" + vec + "/secret.txt", "-cmd", "ir",
                "-newkey", pki + "/ee.key", "-subject", "/CN=cmpkit TLS test",
                "-srvcert", pki + "/server.crt",
                "-certout", os.path.join(self.env.work, name + ".crt")]

    def client(self, srv, name, tls, expect_ok=True, expect_text=None, host="127.0.0.1",
               prog=None):
        """An ir+certConf with -tls_used and |tls| options; its output."""
        prog = prog or [self.env.cmpkit, "-config", ""]
        args = prog + ["-server", "%s:%d" % (host, srv.port), "-tls_used"] + tls + \
            self.cmp_args(name) + ["-msg_timeout", "10", "-total_timeout", "20"]
        r = run(args)
        out = r.stdout.decode(errors="replace")
        if (r.returncode == 0) != expect_ok:
            fail("%s: client status %d\n%s\n--- server log:\n%s" %
                 (name, r.returncode, out, srv.log()[-3000:]))
        if expect_text is not None and expect_text not in out:
            fail("%s: the client's output lacks %r:\n%s" % (name, expect_text, out))
        return out

    def context(self, cert=None, key=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.p("ca.crt"))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert:
            ctx.load_cert_chain(cert, key)
        return ctx

    def post(self, srv, src="127.0.0.1", version=None, body=b"\x30\x00"):
        """A POST over TLS from |src| (python's ssl): (status line, TLS version)."""
        ctx = self.context()
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = version
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10,
                                       source_address=(src, 0))
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pkixcmp"
                      b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\r\n", 1)[0].decode(errors="replace"), s.version()


def test_clients(t):
    srv = t.server("clients", ["-srv_tls_trusted", t.p("ca.crt")])
    t.client(srv, "anon", ["-tls_trusted", t.p("ca.crt")])
    if "request over TLS from client certificate" in srv.log():
        fail("a client without a certificate was logged as having one")
    ok("cmpkit client, -tls_used without a client certificate: ir+certConf")
    t.client(srv, "with_cert", ["-tls_trusted", t.p("ca.crt"), "-tls_cert", t.p("cli.crt"),
                                "-tls_key", t.p("cli.key")])
    if "request over TLS from client certificate /CN=cmpkit TLS cli" not in srv.log():
        fail("the client certificate did not reach the engine:\n" + srv.log()[-2000:])
    ok("with -tls_cert/-tls_key: served, the certificate's subject seen by the engine")
    t.client(srv, "tls_host", ["-tls_trusted", t.p("ca.crt"), "-tls_host", "localhost"])
    t.client(srv, "tls_host_wrong", ["-tls_trusted", t.p("ca.crt"), "-tls_host",
                                     "wrong.example"], expect_ok=False)
    ok("-tls_host localhost accepted, -tls_host wrong.example refused")
    t.client(srv, "wrong_anchor", ["-tls_trusted", t.p("other.crt")], expect_ok=False,
             expect_text="SSL certificate problem: unable to get local issuer certificate")
    # (the chain sent is -srv_tls_cert alone: not completed from -srv_tls_trusted)
    ok("a wrong trust anchor: the client fails naming the certificate problem")
    srv.stop()
    plain = t.env.server("clients_plain", [])
    out = t.client(plain, "tls_on_plain", ["-tls_trusted", t.p("ca.crt")], expect_ok=False,
                   expect_text="not speak TLS on this port")
    if "shutdown while in init" in out:
        fail("libssl's leftover errors printed after the TLS failure:\n" + out)
    ok("-tls_used against a plain-HTTP port: the client says the port does not speak TLS")
    plain.stop()


def test_peers(t):
    srv = t.server("peers", ["-srv_tls_trusted", t.p("ca.crt")])
    tls = ["-tls_trusted", t.p("ca.crt"), "-tls_cert", t.p("cli.crt"), "-tls_key", t.p("cli.key")]
    t.client(srv, "openssl30", tls, prog=["openssl", "cmp", "-config", ""])
    ok("openssl cmp %s -tls_used with a client certificate: ir+certConf" %
       run(["openssl", "version"]).stdout.decode().split()[1])
    if os.access(PEER36, os.X_OK):
        t.client(srv, "openssl36", tls, prog=[PEER36, "cmp", "-config", ""])
        ok("openssl cmp 3.6.1 (../shared/peers/openssl36) -tls_used: ir+certConf")
    else:
        print("  skip  openssl cmp 3.6.1: ../shared/peers/openssl36 absent")
    curl = shutil.which("curl")
    if curl is None:
        print("  skip  curl: not installed")
    else:
        body = os.path.join(t.env.work, "curl_body.der")
        with open(body, "wb") as f:
            f.write(b"\x30\x03\x02\x01\x00")
        r = run([curl, "-sS", "--cacert", t.p("ca.crt"), "--cert", t.p("cli.crt"), "--key",
                 t.p("cli.key"), "-H", "Content-Type: application/pkixcmp", "--data-binary",
                 "@" + body, "-o", os.devnull, "-w", "%{http_version} %{content_type}",
                 "https://localhost:%d/" % srv.port, "--resolve",
                 "localhost:%d:127.0.0.1" % srv.port])
        out = r.stdout.decode(errors="replace")
        if r.returncode != 0 or "application/pkixcmp" not in out:
            fail("curl over TLS: status %d: %s" % (r.returncode, out))
        ok("curl: HTTPS POST answered with %s" % out)
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        line, got = t.post(srv, version=v)
        if not line.startswith("HTTP/1.1 ") or got != v.name.replace("v1_", "v1."):
            fail("TLS version %s: %r over %s" % (v.name, line, got))
    # TLS 1.1 from a client that offers it (openssl s_client at security level 0): the
    # server's alert and its log line
    r = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port, "-tls1_1",
             "-cipher", "DEFAULT@SECLEVEL=0"], stdin=b"", timeout=20)
    if b"alert protocol version" not in r.stdout:
        fail("TLS 1.1: no protocol_version alert:\n" + r.stdout.decode(errors="replace"))
    if not wait_until(lambda: "unsupported protocol" in srv.log(), 2):
        fail("TLS 1.1: the server did not log the refusal:\n" + srv.log()[-2000:])
    ok("TLS 1.2 and 1.3 served, TLS 1.1 refused")
    srv.stop()


def test_plain(t):
    srv = t.server("plain")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\n"
              b"Content-Length: 2\r\n\r\n\x30\x00")
    data = b""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    text = data.decode(errors="replace")
    if not text.startswith("HTTP/1.1 400 ") or "speaks HTTPS" not in text:
        fail("plain HTTP to the TLS port: %r" % text)
    ok("plain HTTP to the TLS port: %r, then closed" % text.split("\r\n")[0])
    if not wait_until(lambda: "answered 400 to plain HTTP from 127.0.0.1" in srv.log(), 2):
        fail("the refusal was not logged:\n" + srv.log())
    line, _ = t.post(srv)
    if not line.startswith("HTTP/1.1 "):
        fail("a TLS client after the refusal: %r" % line)
    ok("refusal logged; the next TLS client served (%s)" % line)
    srv.stop()


def test_forms(t):
    forms = [
        ("p12", ["-srv_tls_cert", t.p("srv.p12"), "-srv_tls_keypass", "pass:p12pass"], None, None),
        ("pem_env", ["-srv_tls_cert", t.p("srv.crt"), "-srv_tls_key", t.p("srv-enc.pem"),
                     "-srv_tls_keypass", "env:CMPKIT_TLS_PASS"], {"CMPKIT_TLS_PASS": "pempass"},
         None),
        ("der_file", ["-srv_tls_cert", t.p("srv.der"), "-srv_tls_key", t.p("srv-enc.der"),
                      "-srv_tls_keypass", "file:" + t.p("derpass.txt")],
         None, None),
        ("pem_stdin", ["-srv_tls_cert", t.p("srv.crt"), "-srv_tls_key", t.p("srv-enc.pem"),
                       "-srv_tls_keypass", "stdin"], None, b"pempass\n"),
    ]
    for name, args, envadd, stdin in forms:
        if envadd:
            os.environ.update(envadd)
        if stdin is not None:
            # the Server class gives no stdin: run this one through a pipe of our own
            srv = start_with_stdin(t, name, args, stdin)
        else:
            srv = t.server(name, cert=args)
        t.client(srv, "form_" + name, ["-tls_trusted", t.p("ca.crt")])
        srv.stop()
        ok("server certificate and key as %s: served" % name)
    bad = [
        (["-srv_tls_cert", t.p("srv.p12"), "-srv_tls_keypass", "pass:wrong"], "-srv_tls_cert"),
        (["-srv_tls_cert", t.p("srv.crt"), "-srv_tls_key", t.p("cli.key")], "-srv_tls_key"),
        (["-srv_tls_cert", t.p("srv.crt"), "-srv_tls_verify", "require"], "-srv_tls_trusted"),
        (["-srv_tls_cert", t.p("srv.crt"), "-srv_tls_key", t.p("srv.key"),
          "-srv_tls_min_version", "1.1"], "-srv_tls_min_version 1.1"),
        (["-srv_tls_trusted", t.p("ca.crt")], "need -srv_tls_cert"),
    ]
    vec = t.env.vec
    for args, text in bad:
        r = run([t.env.cmpkit, "-config", "", "-port", "127.0.0.1:0", "-srv_secret",
                 "file:" + vec + "/secret.txt", "-srv_ref", "x"] + args, timeout=20)
        out = r.stdout.decode(errors="replace")
        if r.returncode != 1 or text not in out or "ACCEPT" in out:
            fail("%s: status %d, expected a refusal naming %r:\n%s" %
                 (" ".join(args[-2:]), r.returncode, text, out))
    ok("wrong pass phrase, mismatched key, require without trust store, TLS 1.1, "
       "-srv_tls_* without -srv_tls_cert: refused at start, naming the option")


def start_with_stdin(t, name, args, stdin):
    """A server whose -srv_tls_keypass is stdin: Server with a pipe for it."""
    import server_limits

    real = server_limits.subprocess.Popen

    def popen(argv, **kw):
        p = real(argv, stdin=subprocess.PIPE, **kw)
        p.stdin.write(stdin)
        p.stdin.close()
        return p

    server_limits.subprocess.Popen = popen
    try:
        return t.server(name, cert=args)
    finally:
        server_limits.subprocess.Popen = real


def test_require(t):
    srv = t.server("require", ["-srv_tls_trusted", t.p("ca.crt"), "-srv_tls_verify", "require"])
    t.client(srv, "req_none", ["-tls_trusted", t.p("ca.crt")], expect_ok=False)
    if not wait_until(lambda: "TLS handshake with 127.0.0.1 failed" in srv.log(), 2):
        fail("the failed handshake was not logged:\n" + srv.log())
    t.client(srv, "req_rogue", ["-tls_trusted", t.p("ca.crt"), "-tls_cert", t.p("rogue.crt"),
                                "-tls_key", t.p("rogue.key")], expect_ok=False)
    ok("require: no client certificate, and one of another CA, refused in the handshake")
    t.client(srv, "req_cert", ["-tls_trusted", t.p("ca.crt"), "-tls_cert", t.p("cli.crt"),
                               "-tls_key", t.p("cli.key")])
    ok("require: a client certificate of the trusted CA served")
    srv.stop()


def threads(srv):
    return len(os.listdir("/proc/%d/task" % srv.pid))


def test_stall(t):
    srv = t.server("stall", ["-srv_idle_timeout", "1", "-srv_max_conns_per_addr", "2"])
    line, _ = t.post(srv, src="127.0.0.2")
    time.sleep(0.3)
    fds0, thr0 = srv.fds(), threads(srv)
    a = socket.create_connection(("127.0.0.1", srv.port), source_address=("127.0.0.2", 0))
    a.sendall(b"\x16\x03\x01\x02\x00\x01")  # a ClientHello's record header and 1 byte of 512
    b = socket.create_connection(("127.0.0.1", srv.port), source_address=("127.0.0.2", 0))
    t0 = time.monotonic()
    time.sleep(0.3)
    if threads(srv) < thr0 + 2:
        fail("no pump threads for the stalled connections (%d, baseline %d)" %
             (threads(srv), thr0))
    c = socket.create_connection(("127.0.0.1", srv.port), source_address=("127.0.0.2", 0))
    if not wait_until(lambda: closed_by_peer(c), 1):
        fail("a third connection of 127.0.0.2 was not refused (-srv_max_conns_per_addr 2)")
    c.close()
    ok("two stalled handshakes hold the two slots of 127.0.0.2; a third connection refused")
    if not wait_until(lambda: closed_by_peer(a) and closed_by_peer(b), 4):
        fail("stalled TLS handshakes not closed within 4 s (-srv_idle_timeout 1)")
    took = time.monotonic() - t0
    if took < 0.7:
        fail("stalled handshakes closed after %.2f s, before the deadline" % took)
    a.close()
    b.close()
    ok("half-sent ClientHello and silent connection closed after %.1f s (deadline 1 s)" % took)
    if not wait_until(lambda: srv.fds() <= fds0 and threads(srv) <= thr0, 3):
        fail("descriptors %d (baseline %d), threads %d (baseline %d) after the stalls" %
             (srv.fds(), fds0, threads(srv), thr0))
    ok("descriptors and threads back to their baseline (%d, %d)" % (fds0, thr0))
    line, _ = t.post(srv, src="127.0.0.2")
    if not line.startswith("HTTP/1.1 "):
        fail("127.0.0.2 not served after the stalls: %r" % line)
    t.client(srv, "after_stall", ["-tls_trusted", t.p("ca.crt")])
    ok("127.0.0.2 served again (%s), and an ir+certConf" % line)
    stalls = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(3)]
    stalls[0].sendall(b"\x16\x03\x01")
    time.sleep(0.2)
    took = srv.stop()
    for s in stalls:
        s.close()
    ok("SIGTERM during stalled handshakes: stopped in %.2f s" % took)


TESTS = {"clients": test_clients, "peers": test_peers, "plain": test_plain,
         "forms": test_forms, "require": test_require, "stall": test_stall}


def main():
    if len(sys.argv) != 5 or sys.argv[4] not in TESTS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmpkit, vec, work, name = sys.argv[1:5]
    if shutil.which("openssl") is None:
        print("server_tls: skipped: the openssl CLI is not installed")
        sys.exit(77)
    for f in ("pki/server.crt", "pki/ee.key", "secret.txt", "ref.txt"):
        if not os.path.exists(os.path.join(vec, f)):
            fail("missing %s/%s (run tests/vectors/gen_vectors.sh first)" % (vec, f))
    work = os.path.join(work, name)
    os.makedirs(work, exist_ok=True)
    env = Env(cmpkit, vec, work)
    try:
        TESTS[name](Tls(env, make_pki(work)))
    finally:
        env.cleanup()
    print("server_tls %s: passed" % name)


if __name__ == "__main__":
    main()
