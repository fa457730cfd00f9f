/*
 * The server mode (-port): the options of the `openssl cmp` 3.0 mock
 * server become a struct cmp_srv_config, checked and loaded as openssl cmp
 * does it (its setup_srv_ctx()), the engine answers what the HTTP listener
 * collects. Errors name the option and the file at fault; exit status 1.
 *
 * With -ca_cert, -ca_key and -ca_db instead of -rsp_cert the server is a CA
 * (cmpkit/ca.h, docs/CA.md): the CA's responder answers, its certificate and
 * key sign the responses unless -srv_cert and -srv_key are given, a timer
 * thread calls cmp_srv_tick() every second (confirmation timeouts,
 * scheduled CRLs), and the listener serves the CRL on GET /crl. The mock
 * options that make the mock answer something fixed (-rsp_cert, -poll_count,
 * -grant_implicitconf, -pkistatus, -failure, -failurebits, -statusstring,
 * -send_error) and -accept_unprotected are refused with a CA; the others
 * keep their meaning.
 *
 * Log lines go to stderr (as openssl's server side, print_to_bio_err), in
 * openssl's form "CMP <level>: <text>", up to -verbosity.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "ca_app.h"
#include "cmpkit/client.h"
#include "cmpkit/err.h"
#include "cmpkit/load.h"
#include "cmpkit/server.h"
#include "listener.h"
#include "opts.h"
#include "tls_srv.h"

struct srv_app {
    struct cmp_srv *srv;
    struct app_ca ca; /* a CA: ca.svc set */
    int verbosity;
    /* the timer thread (CA mode) */
    pthread_t timer;
    int timer_running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
};

/* -srv_log_time: engine lines start with the time and the client (cmp_listener_log_prefix()) */
static int g_log_time;

/* srv_log() prints an engine log line; |arg| points to the -verbosity. */
static void
srv_log(void *arg, int level, const char *line)
{
    const int *verbosity = arg;
    char stamp[CMP_LISTENER_LOG_PREFIX_MAX];

    if (level > *verbosity) {
        return;
    }
    flockfile(stderr);
    fprintf(stderr, "%sCMP %s: %s\n",
            g_log_time ? cmp_listener_log_prefix(stamp, sizeof(stamp)) : "", app_level_name(level),
            line);
    fflush(stderr);
    funlockfile(stderr);
}

/*
 * srv_handle() answers one request; a failed authentication is charged to
 * the client's address. A body that is no PKIMessage gets 400 with its CMP
 * error message (RFC 9811 3.3).
 */
static int
srv_handle(void *arg, const uint8_t *req, size_t req_len, uint8_t **rsp, size_t *rsp_len,
           struct cmp_listener_answer *ans, X509 *tls_client_cert)
{
    struct srv_app *app = arg;
    struct cmp_srv_outcome out;
    struct cmp_srv_peer peer = {tls_client_cert};
    int ok;

    ok = cmp_srv_handle_peer(app->srv, &peer, req, req_len, rsp, rsp_len, &out);
    if (out.unauthenticated_failure) {
        ans->charge_us = out.cpu_us > 0 ? out.cpu_us : 1;
    }
    if (out.undecodable) {
        ans->status = 400;
    }
    return ok;
}

/* srv_refuse() is the CMP error message for an address over its budget (systemUnavail). */
static int
srv_refuse(void *arg, const uint8_t *req, size_t req_len, uint8_t **rsp, size_t *rsp_len)
{
    struct srv_app *app = arg;

    return cmp_srv_refuse(app->srv, req, req_len, CMP_FI_SYSTEM_UNAVAIL,
                          "too many failed requests from your address: try again later", rsp,
                          rsp_len);
}

/* fail() prints "cmpkit: -option value: <the error>" and returns 0. */
static int
fail(const char *opt, const char *value, const struct cmp_err *err)
{
    char buf[1024];

    if (value != NULL) {
        fprintf(stderr, "%s: -%s %s: %s\n", PROG, opt, value,
                cmp_err_format(err, buf, sizeof(buf)));
    } else {
        fprintf(stderr, "%s: -%s: %s\n", PROG, opt, cmp_err_format(err, buf, sizeof(buf)));
    }
    return 0;
}

/* The loaded material, owned here until the engine has taken its references. */
struct srv_material {
    char *secret;
    X509 *cert;
    EVP_PKEY *key;
    X509_STORE *trusted;
    STACK_OF(X509) * untrusted;
    X509 *rsp_cert;
    EVP_PKEY *rsp_key;
    STACK_OF(X509) * rsp_extracerts;
    STACK_OF(X509) * rsp_capubs;
    /* support messages: -rsp_newwithnew, -rsp_newwithold, -rsp_oldwithnew, -rsp_crl */
    X509 *rsp_newwithnew, *rsp_newwithold, *rsp_oldwithnew;
    X509_CRL *rsp_crl;
    X509 *ref_cert; /* -ref_cert */
    X509_NAME *reject_subject; /* -srv_reject_subject */
};

static void
material_cleanup(struct srv_material *m)
{
    cmp_load_pass_free(m->secret);
    X509_free(m->cert);
    EVP_PKEY_free(m->key);
    X509_STORE_free(m->trusted);
    sk_X509_pop_free(m->untrusted, X509_free);
    X509_free(m->rsp_cert);
    EVP_PKEY_free(m->rsp_key);
    sk_X509_pop_free(m->rsp_extracerts, X509_free);
    sk_X509_pop_free(m->rsp_capubs, X509_free);
    X509_free(m->rsp_newwithnew);
    X509_free(m->rsp_newwithold);
    X509_free(m->rsp_oldwithnew);
    X509_CRL_free(m->rsp_crl);
    X509_free(m->ref_cert);
    X509_NAME_free(m->reject_subject);
    memset(m, 0, sizeof(*m));
}

/* load_opt_cert() loads the certificate of option -|opt| (if given) with -otherpass. */
static int
load_opt_cert(X509 **dst, const char *uri, const char *opt, const char *otherpass, const char *desc)
{
    struct cmp_err err;

    cmp_err_init(&err);
    if (uri != NULL && (*dst = cmp_load_one_cert(uri, otherpass, desc, &err)) == NULL) {
        return fail(opt, uri, &err);
    }
    return 1;
}

/*
 * The mock's answers to support messages (openssl 3.6's setup_srv_ctx()):
 * the root CA update certificates, read with -otherpass, and -rsp_crl.
 */
static int
load_support(const struct cmp_opts *o, struct srv_material *m, const char *otherpass,
             struct cmp_srv_config *cfg)
{
    struct cmp_err err;

    cmp_err_init(&err);
    if (!load_opt_cert(&m->rsp_newwithnew, o->rsp_newwithnew, "rsp_newwithnew", otherpass,
                       "NewWithNew cert the mock server returns") ||
        !load_opt_cert(&m->rsp_newwithold, o->rsp_newwithold, "rsp_newwithold", otherpass,
                       "NewWithOld cert the mock server returns") ||
        !load_opt_cert(&m->rsp_oldwithnew, o->rsp_oldwithnew, "rsp_oldwithnew", otherpass,
                       "OldWithNew cert the mock server returns")) {
        return 0;
    }
    if (o->rsp_crl != NULL &&
        (m->rsp_crl = cmp_load_crl(o->rsp_crl, "CRL the mock server returns", &err)) == NULL) {
        return fail("rsp_crl", o->rsp_crl, &err);
    }
    cfg->rsp_newwithnew = m->rsp_newwithnew;
    cfg->rsp_newwithold = m->rsp_newwithold;
    cfg->rsp_oldwithnew = m->rsp_oldwithnew;
    cfg->rsp_crl = m->rsp_crl;
    return 1;
}

/* key_format() maps -keyform as openssl's opt_format() with PEM, DER and P12. */
static int
key_format(const char *s, int *out)
{
    if (s == NULL) {
        *out = CMP_LOAD_FORMAT_ANY;
    } else if (strcasecmp(s, "PEM") == 0) {
        *out = CMP_LOAD_FORMAT_PEM;
    } else if (strcasecmp(s, "DER") == 0) {
        *out = CMP_LOAD_FORMAT_DER;
    } else if (strcasecmp(s, "P12") == 0 || strcasecmp(s, "PKCS12") == 0) {
        *out = CMP_LOAD_FORMAT_P12;
    } else {
        fprintf(stderr,
                "%s: -keyform %s: unknown or unsupported key format "
                "(PEM, DER or P12)\n",
                PROG, s);
        return 0;
    }
    return 1;
}

/* -srv_profile, -srv_require_msgtime, -srv_max_rsa_bits: the rules of RFC 9483 (docs/SERVER.md). */
static int
set_rules(struct cmp_srv_config *cfg, const struct cmp_opts *o)
{
    if (o->srv_profile == NULL || strcmp(o->srv_profile, "rfc9810") == 0) {
        cfg->profile = CMP_SRV_PROFILE_RFC9810;
    } else if (strcmp(o->srv_profile, "lightweight") == 0) {
        cfg->profile = CMP_SRV_PROFILE_LIGHTWEIGHT;
    } else {
        fprintf(stderr, "%s: -srv_profile '%s' is neither rfc9810 nor lightweight\n", PROG,
                o->srv_profile);
        return 0;
    }
    if (o->srv_max_rsa_bits != 0 && (o->srv_max_rsa_bits < 1024 || o->srv_max_rsa_bits > 16384)) {
        fprintf(stderr, "%s: -srv_max_rsa_bits %d is out of range 1024..16384\n", PROG,
                o->srv_max_rsa_bits);
        return 0;
    }
    cfg->require_message_time = o->srv_require_msgtime;
    cfg->max_rsa_bits = o->srv_max_rsa_bits;
    return 1;
}

/* -rsp_key with -rsp_keypass: the key central key generation returns (openssl 3.6). */
static int
load_rsp_key(const struct cmp_opts *o, int format, struct srv_material *m)
{
    struct cmp_err err;
    char *pass = NULL;

    if (o->rsp_key == NULL) {
        return 1;
    }
    cmp_err_init(&err);
    if (o->rsp_keypass != NULL &&
        !cmp_load_pass(&pass, o->rsp_keypass, "pass phrase of -rsp_key", &err)) {
        return fail("rsp_keypass", NULL, &err);
    }
    m->rsp_key =
        cmp_load_private_key(o->rsp_key, format, pass, "private key for enrollment cert", &err);
    cmp_load_pass_free(pass);
    return m->rsp_key != NULL ? 1 : fail("rsp_key", o->rsp_key, &err);
}

/*
 * The checks and the loading of openssl cmp's setup_srv_ctx(), in its order.
 * For a CA (|ca|) the credentials may all be absent: the CA's own
 * certificate and key then protect the responses.
 */
static int
load_material(const struct cmp_opts *o, int ca, struct srv_material *m, struct cmp_srv_config *cfg)
{
    struct cmp_err err;
    char *keypass = NULL, *otherpass = NULL;
    int format, ok = 0;

    cmp_err_init(&err);
    if (!ca && o->srv_ref == NULL && o->srv_cert == NULL) {
        fprintf(stderr, "%s: must give -srv_ref for mock server if no -srv_cert given\n", PROG);
        return 0;
    }
    if (o->srv_secret != NULL) {
        if (!cmp_load_pass(&m->secret, o->srv_secret, "PBMAC secret of mock server", &err)) {
            return fail("srv_secret", NULL, &err);
        }
    } else if (ca) {
        /* MAC-protected requests need an enrollment secret in -ca_db */
    } else if (o->srv_cert == NULL) {
        fprintf(stderr,
                "%s: mock server credentials (-srv_secret or -srv_cert) must be given if "
                "-use_mock_srv or -port is used\n",
                PROG);
        return 0;
    } else {
        app_log(o->verbosity, LOG_LVL_WARN,
                "mock server will not be able to handle PBM-protected "
                "requests since -srv_secret is not given");
    }
    if ((o->srv_secret == NULL || ca) && (o->srv_cert == NULL) != (o->srv_key == NULL)) {
        fprintf(stderr, "%s: must give both -srv_cert and -srv_key options or neither\n", PROG);
        return 0;
    }
    if (!key_format(o->keyform, &format)) {
        return 0;
    }
    if (o->srv_keypass != NULL &&
        !cmp_load_pass(&keypass, o->srv_keypass, "pass phrase of -srv_key", &err)) {
        return fail("srv_keypass", NULL, &err);
    }
    if (o->otherpass != NULL &&
        !cmp_load_pass(&otherpass, o->otherpass, "pass phrase of -otherpass", &err)) {
        cmp_load_pass_free(keypass);
        return fail("otherpass", NULL, &err);
    }
    if (o->srv_cert != NULL) {
        m->cert = cmp_load_one_cert(o->srv_cert, keypass, "certificate of the mock server", &err);
        if (m->cert == NULL) {
            fail("srv_cert", o->srv_cert, &err);
            goto end;
        }
    }
    if (o->srv_key != NULL) {
        m->key = cmp_load_private_key(o->srv_key, format, keypass,
                                      "private key for mock server cert", &err);
        if (m->key == NULL) {
            fail("srv_key", o->srv_key, &err);
            goto end;
        }
    }
    if (o->srv_trusted != NULL) {
        m->trusted = cmp_load_trust_store(o->srv_trusted, otherpass, o->vpm,
                                          "certs trusted by mock server", &err);
        if (m->trusted == NULL) {
            fail("srv_trusted", o->srv_trusted, &err);
            goto end;
        }
    } else if (!ca) {
        app_log(o->verbosity, LOG_LVL_WARN,
                "mock server will not be able to handle "
                "signature-protected requests since -srv_trusted "
                "is not given");
    }
    if (o->srv_untrusted != NULL &&
        !cmp_load_cert_list(&m->untrusted, o->srv_untrusted, otherpass,
                            "untrusted certificates for mock server", &err)) {
        fail("srv_untrusted", o->srv_untrusted, &err);
        goto end;
    }
    /* -ref_cert (openssl cmp 3.2), read with -otherpass as 3.6 reads it */
    if (o->ref_cert != NULL) {
        m->ref_cert = cmp_load_one_cert(o->ref_cert, otherpass,
                                        "reference cert to be expected by the mock server", &err);
        if (m->ref_cert == NULL) {
            fail("ref_cert", o->ref_cert, &err);
            goto end;
        }
    }
    if (ca) {
        /* the CA issues what it answers: no -rsp_cert (check_ca_mode()) */
    } else if (o->rsp_cert == NULL) {
        app_log(o->verbosity, LOG_LVL_WARN, "no -rsp_cert given for mock server");
    } else {
        /* openssl cmp 3.6 reads -rsp_cert with -rsp_keypass, 3.0 with -keypass */
        const char *pass_opt = o->rsp_keypass != NULL ? "rsp_keypass" : "keypass";
        const char *pass_arg = o->rsp_keypass != NULL ? o->rsp_keypass : o->keypass;
        char *pass = NULL;

        if (pass_arg != NULL && !cmp_load_pass(&pass, pass_arg, "pass phrase of -rsp_cert", &err)) {
            fail(pass_opt, NULL, &err);
            goto end;
        }
        m->rsp_cert =
            cmp_load_one_cert(o->rsp_cert, pass, "cert to be returned by the mock server", &err);
        cmp_load_pass_free(pass);
        if (m->rsp_cert == NULL) {
            fail("rsp_cert", o->rsp_cert, &err);
            goto end;
        }
    }
    if (!load_rsp_key(o, format, m)) {
        goto end;
    }
    if (o->rsp_extracerts != NULL &&
        !cmp_load_cert_list(&m->rsp_extracerts, o->rsp_extracerts, otherpass,
                            "CMP extra certificates for mock server", &err)) {
        fail("rsp_extracerts", o->rsp_extracerts, &err);
        goto end;
    }
    if (o->rsp_capubs != NULL && !cmp_load_cert_list(&m->rsp_capubs, o->rsp_capubs, otherpass,
                                                     "caPubs for mock server", &err)) {
        fail("rsp_capubs", o->rsp_capubs, &err);
        goto end;
    }

    if (o->srv_reject_subject != NULL) {
        m->reject_subject = cmp_name_parse(o->srv_reject_subject, &err);
        if (m->reject_subject == NULL) {
            fail("srv_reject_subject", o->srv_reject_subject, &err);
            goto end;
        }
    }

    /* -failure / -failurebits as setup_srv_ctx() resolves them */
    if (o->failure != INT_MIN) {
        if (o->failure < 0 || o->failure > CMP_FI_MAX) {
            fprintf(stderr, "%s: -failure out of range, should be >= 0 and <= %d\n", PROG,
                    CMP_FI_MAX);
            goto end;
        }
        if (o->failurebits != 0) {
            app_log(o->verbosity, LOG_LVL_WARN, "-failurebits overrides -failure");
        }
    }
    if ((unsigned)o->failurebits >= (1u << (CMP_FI_MAX + 1))) {
        fprintf(stderr, "%s: -failurebits out of range\n", PROG);
        goto end;
    }
    if (o->pkistatus < 0 || o->pkistatus > 6) {
        fprintf(stderr, "%s: -pkistatus %d out of range, should be 0..6\n", PROG, o->pkistatus);
        goto end;
    }

    cfg->ref = o->srv_ref;
    if (m->secret != NULL) {
        cfg->secret = (const uint8_t *)m->secret;
        cfg->secret_len = strlen(m->secret);
    }
    cfg->cert = m->cert;
    cfg->key = m->key;
    cfg->trusted = m->trusted;
    cfg->untrusted = m->untrusted;
    cfg->vpm = o->vpm;
    cfg->rsp_cert = m->rsp_cert;
    cfg->rsp_extracerts = m->rsp_extracerts;
    cfg->rsp_capubs = m->rsp_capubs;
    cfg->poll_count = o->poll_count;
    cfg->check_after = o->check_after;
    cfg->grant_implicitconf = o->grant_implicitconf;
    cfg->pkistatus = o->pkistatus;
    cfg->failure = o->failure == INT_MIN ? -1 : o->failure;
    cfg->failurebits = (uint32_t)o->failurebits;
    cfg->statusstring = o->statusstring;
    cfg->send_error = o->send_error;
    cfg->send_unprotected = o->send_unprotected;
    cfg->send_unprot_err = o->send_unprot_err;
    cfg->accept_unprotected = o->accept_unprotected;
    cfg->accept_unprot_err = o->accept_unprot_err;
    cfg->accept_raverified = o->accept_raverified;
    /* 0: not given, the engine's default */
    cfg->max_iterations = o->srv_max_iterations;
    cfg->max_transactions = (size_t)o->srv_max_txns;
    cfg->transaction_timeout_s = o->srv_txn_timeout;
    if (!load_support(o, m, otherpass, cfg)) {
        goto end;
    }
    cfg->ref_cert = m->ref_cert;
    cfg->no_cache_extracerts = o->no_cache_extracerts;
    cfg->rsp_key = m->rsp_key;
    cfg->accept_keyenc = o->accept_keyenc;
    cfg->max_transactions_per_sender = (size_t)o->srv_max_txns_per_sender;
    cfg->message_time_window_s = o->srv_msgtime_window;
    cfg->replay_cache_size = (size_t)o->srv_replay_cache;
    cfg->accept_replays = o->srv_accept_replays;
    if (!set_rules(cfg, o)) {
        goto end;
    }
    cfg->max_cert_reqs = (size_t)o->srv_max_cert_reqs;
    cfg->reject_subject = m->reject_subject;
    ok = 1;
end:
    cmp_load_pass_free(keypass);
    cmp_load_pass_free(otherpass);
    return ok;
}

/* limit_ok() checks one -srv_* limit: 0 (not given: the default) up to max. */
static int
limit_ok(const char *name, int v, long max)
{
    if (v < 0 || v > max) {
        fprintf(stderr, "%s: -%s %d is out of range: at most %ld\n", PROG, name, v, max);
        return 0;
    }
    return 1;
}

/* check_limits() checks the engine's limits and, with |listener|, the HTTP listener's. */
static int
check_limits(const struct cmp_opts *o, int listener)
{
    if (!limit_ok("srv_max_iterations", o->srv_max_iterations, INT_MAX) ||
        !limit_ok("srv_max_txns", o->srv_max_txns, 1000000) ||
        !limit_ok("srv_txn_timeout", o->srv_txn_timeout, 30L * 86400) ||
        !limit_ok("srv_max_txns_per_sender", o->srv_max_txns_per_sender, 1000000) ||
        !limit_ok("srv_msgtime_window", o->srv_msgtime_window, 100L * 366 * 86400) ||
        !limit_ok("srv_replay_cache", o->srv_replay_cache, 1L << 24) ||
        /* the decoder takes at most 256 elements of any SEQUENCE OF */
        !limit_ok("srv_max_cert_reqs", o->srv_max_cert_reqs, 256)) {
        return 0;
    }
    return !listener ||
           (limit_ok("srv_max_conns", o->srv_max_conns, CMP_LISTENER_MAX_CONNS_LIMIT) &&
            limit_ok("srv_max_conns_per_addr", o->srv_max_conns_per_addr,
                     CMP_LISTENER_MAX_CONNS_LIMIT) &&
            limit_ok("srv_req_timeout", o->srv_req_timeout, CMP_LISTENER_MAX_TIMEOUT) &&
            limit_ok("srv_idle_timeout", o->srv_idle_timeout, CMP_LISTENER_MAX_TIMEOUT) &&
            limit_ok("srv_max_body", o->srv_max_body, INT_MAX) &&
            limit_ok("srv_body_budget", o->srv_body_budget, INT_MAX) &&
            limit_ok("srv_threads", o->srv_threads, CMP_LISTENER_MAX_THREADS) &&
            limit_ok("srv_fail_cpu", o->srv_fail_cpu, CMP_LISTENER_MAX_FAIL_CPU_MS));
}

/* The option combinations openssl cmp 3.0 refuses with -port. */
static int
check_mode(const struct cmp_opts *o)
{
    if ((o->tls_cert != NULL || o->tls_key != NULL || o->tls_keypass != NULL ||
         o->tls_extra != NULL || o->tls_trusted != NULL || o->tls_host != NULL) &&
        !o->tls_used) {
        app_log(o->verbosity, LOG_LVL_WARN, "ignoring TLS options(s) since -tls_used is not given");
    }
    if (o->tls_used) {
        fprintf(stderr,
                "%s: -tls_used option not supported with -port option (the server's HTTPS "
                "options are -srv_tls_cert ...)\n",
                PROG);
        return 0;
    }
    if (o->reqout_only != NULL) {
        fprintf(stderr,
                "%s: the -reqout_only client option does not combine with -port implying server "
                "behavior\n",
                PROG);
        return 0;
    }
    if (o->use_mock_srv || o->server != NULL || o->rspin != NULL) {
        fprintf(stderr, "%s: cannot use -port with -use_mock_srv, -server, or -rspin options\n",
                PROG);
        return 0;
    }
    if (o->reqin != NULL || o->reqout != NULL || o->rspout != NULL) {
        app_log(o->verbosity, LOG_LVL_WARN,
                "ignoring -reqin, -reqout and -rspout, which the -port mode does not support");
    }
    if (o->engine != NULL) {
        fprintf(stderr, "%s: -engine %s: engines are not supported; use -provider\n", PROG,
                o->engine);
        return 0;
    }
    return 1;
}

struct cmp_srv *
app_mock_srv_new(const struct cmp_opts *o)
{
    struct cmp_srv_config cfg;
    struct cmp_srv *srv;
    struct srv_material m;
    struct cmp_err err;

    memset(&m, 0, sizeof(m));
    cmp_srv_config_init(&cfg);
    if (!check_limits(o, 0) || !load_material(o, 0, &m, &cfg)) {
        material_cleanup(&m);
        return NULL;
    }
    /* The engine's verbosity 0 means its default; levels 0..2 log nothing of it anyway. */
    cfg.log = srv_log;
    cfg.log_arg = (void *)&o->verbosity;
    g_log_time = o->srv_log_time;
    cfg.verbosity = o->verbosity > 0 ? o->verbosity : 1;

    cmp_err_init(&err);
    srv = cmp_srv_new(&cfg, &err);
    material_cleanup(&m); /* the engine holds its own references and copies */
    if (srv == NULL) {
        char buf[1024];

        fprintf(stderr, "%s: cannot set up the mock server: %s\n", PROG,
                cmp_err_format(&err, buf, sizeof(buf)));
    }
    return srv;
}

/* The mock options that make no sense with a CA, which answers what it issued. */
static int
check_ca_mode(const struct cmp_opts *o)
{
    static const char cannot[] = "%s: -%s cannot be used with a CA (-ca_cert, -ca_key, -ca_db)\n";

    if (o->rsp_cert != NULL) {
        fprintf(stderr, cannot, PROG, "rsp_cert");
        return 0;
    }
    if (o->poll_count != 0 || o->grant_implicitconf || o->pkistatus != 0 || o->failure != INT_MIN ||
        o->failurebits != 0 || o->statusstring != NULL || o->send_error) {
        fprintf(stderr, cannot, PROG,
                "poll_count, -grant_implicitconf, -pkistatus, -failure, -failurebits, "
                "-statusstring or -send_error");
        return 0;
    }
    if (o->rsp_crl != NULL) {
        /* crlStatusList gets the CA's own CRL */
        fprintf(stderr, cannot, PROG, "rsp_crl");
        return 0;
    }
    if (o->accept_unprotected) {
        /* anyone could have certificates issued */
        fprintf(stderr, cannot, PROG, "accept_unprotected");
        return 0;
    }
    return 1;
}

/* The CA mode's engine: the CA's responder, and the CA's credentials by default. */
static struct cmp_srv *
ca_srv_new(const struct cmp_opts *o, struct srv_app *app)
{
    struct cmp_srv_config cfg;
    struct cmp_srv_responder rs;
    struct app_ca_rollover roll;
    struct srv_material m;
    struct cmp_err err;
    struct cmp_srv *srv = NULL;
    char buf[1024];

    memset(&m, 0, sizeof(m));
    cmp_srv_config_init(&cfg);
    cmp_err_init(&err);
    if (!check_ca_mode(o) || !load_material(o, 1, &m, &cfg)) {
        material_cleanup(&m);
        return NULL;
    }
    /* rootCaCert: the CA answers the rollover of its root (genm, RFC 9483 4.3.2) */
    roll.new_with_new = m.rsp_newwithnew;
    roll.new_with_old = m.rsp_newwithold;
    roll.old_with_new = m.rsp_oldwithnew;
    if (!app_ca_open(o, &app->ca, 1, m.rsp_extracerts, m.rsp_capubs, &roll)) {
        material_cleanup(&m);
        return NULL;
    }
    if (!cmp_ca_service_responder(app->ca.svc, &rs, &err)) {
        fprintf(stderr, "%s: %s\n", PROG, cmp_err_format(&err, buf, sizeof(buf)));
        material_cleanup(&m);
        return NULL;
    }
    if (cfg.cert == NULL) {
        cfg.cert = app->ca.cert;
        cfg.key = app->ca.key;
    }
    /* the CA's answers carry its extraCerts and caPubs; raVerified is its decision */
    cfg.rsp_extracerts = NULL;
    cfg.rsp_capubs = NULL;
    cfg.accept_raverified = 0;
    cfg.responder = &rs;
    cfg.log = srv_log;
    cfg.log_arg = (void *)&o->verbosity;
    g_log_time = o->srv_log_time;
    cfg.verbosity = o->verbosity > 0 ? o->verbosity : 1;
    srv = cmp_srv_new(&cfg, &err);
    material_cleanup(&m);
    if (srv == NULL) {
        fprintf(stderr, "%s: cannot set up the CA server: %s\n", PROG,
                cmp_err_format(&err, buf, sizeof(buf)));
    }
    return srv;
}

/* The timer thread: cmp_srv_tick() every second until told to stop. */
static void *
timer_loop(void *arg)
{
    struct srv_app *app = arg;
    struct cmp_err err;
    char buf[1024];

    pthread_mutex_lock(&app->lock);
    while (!app->stop) {
        struct timespec ts;

        pthread_mutex_unlock(&app->lock);
        cmp_err_init(&err);
        if (!cmp_srv_tick(app->srv, &err)) {
            srv_log(&app->verbosity, CMP_SRV_LOG_ERR, cmp_err_format(&err, buf, sizeof(buf)));
        }
        pthread_mutex_lock(&app->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        while (!app->stop && pthread_cond_timedwait(&app->cond, &app->lock, &ts) != ETIMEDOUT) {
            continue;
        }
    }
    pthread_mutex_unlock(&app->lock);
    return NULL;
}

static int
timer_start(struct srv_app *app)
{
    if (pthread_mutex_init(&app->lock, NULL) != 0) {
        return 0;
    }
    if (pthread_cond_init(&app->cond, NULL) != 0) {
        pthread_mutex_destroy(&app->lock);
        return 0;
    }
    app->stop = 0;
    if (pthread_create(&app->timer, NULL, timer_loop, app) != 0) {
        pthread_cond_destroy(&app->cond);
        pthread_mutex_destroy(&app->lock);
        return 0;
    }
    app->timer_running = 1;
    return 1;
}

static void
timer_stop(struct srv_app *app)
{
    if (!app->timer_running) {
        return;
    }
    pthread_mutex_lock(&app->lock);
    app->stop = 1;
    pthread_cond_signal(&app->cond);
    pthread_mutex_unlock(&app->lock);
    (void)pthread_join(app->timer, NULL);
    pthread_cond_destroy(&app->cond);
    pthread_mutex_destroy(&app->lock);
    app->timer_running = 0;
}

/* GET /crl (listener.h): the CA's current CRL. */
static int
srv_get_crl(void *arg, uint8_t **out, size_t *out_len)
{
    struct srv_app *app = arg;
    struct cmp_err err;
    char buf[1024];

    cmp_err_init(&err);
    if (!cmp_ca_service_crl(app->ca.svc, (int64_t)time(NULL), out, out_len, &err)) {
        srv_log(&app->verbosity, CMP_SRV_LOG_ERR, cmp_err_format(&err, buf, sizeof(buf)));
        return 0;
    }
    return 1;
}

int
cmp_server_main(struct cmp_opts *o)
{
    struct cmp_listener_config lc;
    struct srv_app app;
    SSL_CTX *tls = NULL;
    int ret, keyform;

    if (!check_mode(o) || !check_limits(o, 1) || !key_format(o->keyform, &keyform) ||
        !app_tls_srv_ctx(o, keyform, &tls)) {
        return 1;
    }
    memset(&app, 0, sizeof(app));
    app.ca.audit_fd = -1;
    app.verbosity = o->verbosity;
    app.srv = app_ca_mode(o) ? ca_srv_new(o, &app) : app_mock_srv_new(o);
    if (app.srv == NULL) {
        app_ca_cleanup(&app.ca);
        SSL_CTX_free(tls);
        return 1;
    }

    memset(&lc, 0, sizeof(lc));
    lc.port = o->port;
    lc.path = o->path;
    lc.max_conns = (unsigned)o->srv_max_conns;
    lc.max_conns_per_addr = (unsigned)o->srv_max_conns_per_addr;
    lc.req_timeout = (unsigned)o->srv_req_timeout;
    lc.idle_timeout = (unsigned)o->srv_idle_timeout;
    lc.max_body = (size_t)o->srv_max_body;
    lc.body_budget = (size_t)o->srv_body_budget;
    lc.threads = (unsigned)o->srv_threads;
    lc.fail_cpu_ms = (unsigned)o->srv_fail_cpu;
    lc.tls = tls;
    lc.max_msgs = o->max_msgs;
    lc.verbosity = o->verbosity;
    lc.log_time = o->srv_log_time;
    lc.handle = srv_handle;
    lc.refuse = srv_refuse;
    lc.handle_arg = &app;
    if (app.ca.svc != NULL) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);

        /* a CA thread waits for the disk at each durable commit: more threads than cores */
        if (lc.threads == 0) {
            lc.threads = (unsigned)(8 * (cores > 0 ? cores : 1));
        }
        lc.get_crl = srv_get_crl;
        if (!timer_start(&app)) {
            fprintf(stderr, "%s: cannot start the CA's timer thread\n", PROG);
            cmp_srv_free(app.srv);
            app_ca_cleanup(&app.ca);
            SSL_CTX_free(tls);
            return 1;
        }
    }
    if (tls != NULL) {
        /* stderr, as the engine's lines: stdout is for the ACCEPT line alone */
        srv_log((void *)&o->verbosity, LOG_LVL_INFO,
                o->srv_tls_trusted != NULL ? "serving HTTPS, checking TLS client certificates"
                                           : "serving HTTPS");
    }
    ret = cmp_listener_run(&lc);
    timer_stop(&app);
    cmp_srv_free(app.srv);
    app_ca_cleanup(&app.ca);
    SSL_CTX_free(tls);
    return ret;
}
