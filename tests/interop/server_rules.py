#!/usr/bin/env python3
"""server_rules.py CMPKIT VECTORS WORKDIR TEST

The cmpkit client against the cmpkit server (-port) over HTTP, for issue 13:

  pbmac1  the client protects its ir and certConf with PBMAC1 (-pbmac1) for
          each PBKDF2 PRF (hmacWithSHA1/256/384/512) and several MACs; the
          server's answers use the request's PRF, iteration count and MAC
          (checked in the saved ip); 262144 PBKDF2 iterations pass the
          server's default cap, and -srv_max_iterations 100000 refuses them
          with badAlg; a PRF digest PBMAC1 cannot use is refused; -pvno 3
          requests are answered with pvno 3.
  rules   requests that break one rule of RFC 9483 each, made by the cmpkit
          client: POPO raVerified from an end entity (notAuthorized), an RSA
          key over -srv_max_rsa_bits (badCertTemplate), and with
          -srv_profile lightweight a MAC without senderKID
          (badMessageCheck) and an rr without reasonCode (badRequest). Each
          answer is a CMP error message in an HTTP 200 answer (the client
          saved it with -rspout) with that failure bit, and the default
          profile answers the last two normally.

usage: server_rules.py CMPKIT VECTORS WORKDIR TEST
Exit status 0 when every check passed, 1 otherwise.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_limits import Env, fail, ok  # noqa: E402


# How long a server may take to stop here: its stop time is issue 11's test
# (server_limits.py, 2 s); under ASan one that derived PBKDF2 keys of 262144
# iterations takes about 0.8 s to exit (7 ms in a release build), more on a
# loaded machine.
STOP_WITHIN = 10


def run_client(env, srv, name, args, expect_ok):
    """The cmpkit client against |srv| with |args|; returns `cmpkit -print` of its responses."""
    pki = os.path.join(env.vec, "pki")
    rsp = [os.path.join(env.work, "%s.rsp%d.der" % (name, i)) for i in (1, 2)]
    for f in rsp:
        if os.path.exists(f):
            os.unlink(f)
    cmd = [env.cmpkit, "-config", "", "-server", "127.0.0.1:%d" % srv.port,
           "-secret", "file:" + env.vec + "/secret.txt", "-srvcert", pki + "/server.crt",
           "-rspout", ",".join(rsp), "-msg_timeout", "20", "-total_timeout", "60"] + args
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=90)
    except subprocess.TimeoutExpired:
        fail("%s: the client did not end within 90 s" % name)
    out = r.stdout.decode(errors="replace")
    if (r.returncode == 0) != expect_ok:
        fail("%s: client status %d\n%s\n--- server log:\n%s" %
             (name, r.returncode, out, srv.log()[-3000:]))
    if not os.path.exists(rsp[0]):
        fail("%s: no response saved (not an HTTP 200 answer?)\n%s" % (name, out))
    printed = ""
    for f in rsp:
        if os.path.exists(f):
            p = subprocess.run([env.cmpkit, "-print", f], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=20)
            printed += p.stdout.decode(errors="replace")
    return printed


def ir_args(env, name, extra):
    pki = os.path.join(env.vec, "pki")
    ref = open(env.vec + "/ref.txt").read().strip()
    return ["-ref", ref, "-cmd", "ir", "-newkey", pki + "/ee.key",
            "-subject", "/CN=cmpkit rules test", "-certout",
            os.path.join(env.work, name + ".crt")] + extra


def test_pbmac1(env):
    srv = env.server("pbmac1", [])
    rows = (("sha1", "sha256", 1000, "hmacWithSHA256"),
            ("sha256", "sha256", 2000, "hmacWithSHA256"),
            ("sha384", "sha384", 1500, "hmacWithSHA384"),
            ("sha512", "sha512", 1200, "hmacWithSHA512"),
            ("sha256", "sha512", 262144, "hmacWithSHA512"))
    for prf, mac, it, mac_name in rows:
        name = "pbmac1_%s_%s_%d" % (prf, mac, it)
        printed = run_client(env, srv, name, ir_args(env, name, [
            "-pbmac1", "-pbmac1_prf", prf, "-pbmac1_mac", mac, "-mac_iterations", str(it)]), True)
        # the ip and the pkiConf, both under the request's parameters
        want = ["PBMAC1", "iterationCount: %d" % it, "mac: " + mac_name]
        if prf != "sha1":  # hmacWithSHA1 is PBKDF2's DEFAULT and left out
            want.append("prf: hmacWith" + prf.upper())
        for w in want:
            if printed.count(w) != 2:
                fail("%s: the answers do not both show '%s':\n%s" % (name, w, printed))
        ok("ir+certConf with PBMAC1 PRF %s, MAC %s, %d iterations: ip and pkiConf under the same"
           % (prf, mac, it))
    # -pvno 3 (cmp2021): the server answers in kind (RFC 9810 7)
    printed = run_client(env, srv, "pvno3", ir_args(env, "pvno3", ["-pvno", "3"]), True)
    if printed.count("pvno: 3 (cmp2021)") != 2:
        fail("-pvno 3: the ip and pkiConf are not both cmp2021:\n" + printed)
    ok("-pvno 3: ip and pkiConf with pvno 3")
    for bad in ("md5", "sha3-256", "nosuchdigest"):
        r = subprocess.run([env.cmpkit, "-config", "", "-server", "127.0.0.1:%d" % srv.port,
                            "-secret", "pass:x", "-ref", "x", "-cmd", "genm", "-pbmac1",
                            "-pbmac1_prf", bad], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=20)
        out = r.stdout.decode(errors="replace")
        if r.returncode != 1 or "-pbmac1_prf " + bad not in out:
            fail("-pbmac1_prf %s: status %d, expected 1 naming it:\n%s" % (bad, r.returncode, out))
    ok("-pbmac1_prf md5, sha3-256, nosuchdigest refused, naming the option")
    ok("SIGTERM stopped the server in %.3f s" % srv.stop(within=STOP_WITHIN))
    low = env.server("pbmac1_cap", ["-srv_max_iterations", "100000"])
    printed = run_client(env, low, "pbmac1_over_cap", ir_args(env, "pbmac1_over_cap", [
        "-pbmac1", "-mac_iterations", "262144"]), False)
    if "failInfo: badAlg" not in printed:
        fail("262144 iterations over -srv_max_iterations 100000: no badAlg\n" + printed)
    ok("262144 iterations against -srv_max_iterations 100000: badAlg")
    ok("SIGTERM stopped the server in %.3f s" % low.stop(within=STOP_WITHIN))


def expect_bit(printed, bit, what):
    if "body: error" not in printed or ("failInfo: " + bit) not in printed:
        fail("%s: expected an error message with %s:\n%s" % (what, bit, printed))
    ok("%s: error message with %s in an HTTP 200 answer" % (what, bit))


def test_rules(env):
    pki = os.path.join(env.vec, "pki")
    rsa = os.path.join(env.work, "rsa3072.key")
    if not os.path.exists(rsa):
        subprocess.run(["openssl", "genrsa", "-out", rsa, "3072"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    srv = env.server("rules", ["-srv_max_rsa_bits", "2048"])
    expect_bit(run_client(env, srv, "raverified", ir_args(env, "raverified", ["-popo", "0"]),
                          False), "notAuthorized", "RFC 9483 4.1.1 raVerified from an end entity")
    args = ir_args(env, "rsa3072", [])
    args[args.index("-newkey") + 1] = rsa
    expect_bit(run_client(env, srv, "rsa3072", args, False), "badCertTemplate",
               "RFC 9483 4.1.1 RSA-3072 key over -srv_max_rsa_bits 2048")
    # the rules openssl's clients break: answered normally by default
    nokid = ["-cmd", "ir", "-newkey", pki + "/ee.key", "-subject", "/CN=cmpkit rules test",
             "-certout", os.path.join(env.work, "nokid.crt")]
    rr = ["-ref", open(env.vec + "/ref.txt").read().strip(), "-cmd", "rr",
          "-oldcert", pki + "/ee.crt"]
    run_client(env, srv, "nokid_default", nokid, True)
    run_client(env, srv, "rr_default", rr, True)
    ok("rfc9810 profile: a MAC without senderKID and an rr without reasonCode are answered")
    ok("SIGTERM stopped the server in %.3f s" % srv.stop(within=STOP_WITHIN))
    lw = env.server("rules_lw", ["-srv_profile", "lightweight"])
    expect_bit(run_client(env, lw, "nokid", nokid, False), "badMessageCheck",
               "RFC 9483 3.1/3.2 lightweight: MAC without senderKID")
    expect_bit(run_client(env, lw, "rr_noreason", rr, False), "badRequest",
               "RFC 9483 4.2 lightweight: rr without reasonCode")
    run_client(env, lw, "rr_reason", rr + ["-revreason", "1"], True)
    ok("lightweight profile: an rr with reasonCode is answered")
    ok("SIGTERM stopped the server in %.3f s" % lw.stop(within=STOP_WITHIN))


TESTS = {"pbmac1": test_pbmac1, "rules": test_rules}


def main():
    if len(sys.argv) != 5 or sys.argv[4] not in TESTS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmpkit, vec, work, name = sys.argv[1:5]
    for f in ("pki/server.crt", "pki/server.key", "pki/root.crt", "pki/ee.crt", "pki/ee.key",
              "secret.txt", "ref.txt"):
        if not os.path.exists(os.path.join(vec, f)):
            fail("missing %s/%s (run tests/vectors/gen_vectors.sh first)" % (vec, f))
    os.makedirs(work, exist_ok=True)
    env = Env(cmpkit, vec, work)
    try:
        TESTS[name](env)
    finally:
        env.cleanup()
    print("server_rules %s: passed" % name)


if __name__ == "__main__":
    main()
