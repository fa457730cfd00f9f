/*
 * The options of `openssl cmp` 3.0 (and cmpkit's own): one table that the
 * command line (opts.c), the config file (config.c) and -help share, and one
 * struct of values that the client and the server modes read.
 *
 * String values are borrowed: from argv or from the loaded config file,
 * which struct cmp_opts keeps until cmp_opts_cleanup(). NULL means unset; an
 * empty string resets an option to unset, as in openssl cmp.
 */
#ifndef CMPKIT_APP_OPTS_H
#define CMPKIT_APP_OPTS_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include <openssl/conf.h>
#include <openssl/provider.h>
#include <openssl/x509_vfy.h>

#include "cmpkit/err.h"

#define PROG "cmpkit"

/* openssl cmp's log levels (-verbosity), syslog numbers. */
enum app_log_level {
    LOG_LVL_EMERG = 0,
    LOG_LVL_ALERT = 1,
    LOG_LVL_CRIT = 2,
    LOG_LVL_ERR = 3,
    LOG_LVL_WARN = 4,
    LOG_LVL_NOTE = 5,
    LOG_LVL_INFO = 6,
    LOG_LVL_DEBUG = 7,
    LOG_LVL_TRACE = 8
};

/* What an option takes; -help shows it as openssl does ("val", "nonneg", ...). */
enum opt_kind {
    OPTK_FLAG,    /* no value; 1 when given; 0/1 in a config file */
    OPTK_STR,     /* "val" */
    OPTK_INFILE,  /* "infile" */
    OPTK_OUTFILE, /* "outfile" */
    OPTK_INT,     /* "int": any int */
    OPTK_NONNEG,  /* "nonneg": an int >= 0 */
    OPTK_POSINT,  /* "+int": an int > 0 */
    OPTK_INTMAX   /* "intmax": a time_t-sized number (-attime) */
};

/* Where an option's value goes. */
enum opt_target {
    OPTT_STR,      /* a const char * field of struct cmp_opts */
    OPTT_INT,      /* an int field of struct cmp_opts */
    OPTT_VERIFY,   /* applied to cmp_opts.vpm at once (openssl's opt_verify()) */
    OPTT_PROVIDER, /* applied to the default library context at once */
    OPTT_APP,      /* handled by the caller: -help, -config, -section, ... */
    OPTT_LIST      /* appended to a struct cmp_opts_list field (a repeatable option) */
};

/* Groups of -help, in the order of the manual. */
enum opt_group {
    OPTG_NONE,
    OPTG_GENERIC,
    OPTG_ENROLL,
    OPTG_ENROLL_REV,
    OPTG_TRANSFER,
    OPTG_SERVER_AUTH,
    OPTG_CLIENT_AUTH,
    OPTG_FORMAT,
    OPTG_PROVIDER,
    OPTG_RAND,
    OPTG_TLS,
    OPTG_DEBUG,
    OPTG_MOCK,
    OPTG_VERIFY,
    OPTG_CA,
    OPTG_CA_ADMIN,
    OPTG_CMPKIT
};

/* Option flags. */
#define OPTF_NO_CONFIG 0x1 /* never read from a config file (-help, -config, -print, ...) */

/* The ids of the options handled by the caller or specially. */
enum opt_id {
    OPTID_NONE = 0,
    OPTID_HELP,
    OPTID_CONFIG,
    OPTID_SECTION,
    OPTID_VERSION,
    OPTID_PRINT,
    OPTID_PROVIDER_PATH,
    OPTID_PROVIDER,
    OPTID_PROPQUERY,
    /* verification options */
    OPTID_V_POLICY,
    OPTID_V_PURPOSE,
    OPTID_V_VERIFY_NAME,
    OPTID_V_VERIFY_DEPTH,
    OPTID_V_AUTH_LEVEL,
    OPTID_V_ATTIME,
    OPTID_V_VERIFY_HOSTNAME,
    OPTID_V_VERIFY_EMAIL,
    OPTID_V_VERIFY_IP,
    OPTID_V_FLAG /* a flag: the table gives the X509_V_FLAG_* bits */
};

struct opt_def {
    const char *name;     /* without the leading '-' */
    unsigned char kind;   /* enum opt_kind */
    unsigned char target; /* enum opt_target */
    unsigned char group;  /* enum opt_group */
    unsigned char flags;  /* OPTF_* */
    int id;               /* enum opt_id */
    size_t offset;        /* OPTT_STR/OPTT_INT: offsetof(struct cmp_opts, field) */
    unsigned long vflags; /* OPTID_V_FLAG: X509_V_FLAG_* to set */
    const char *help;     /* lines separated by '\n' */
};

extern const struct opt_def cmp_opt_table[];
extern const size_t cmp_opt_count;

#define CMP_OPTS_MAX_PROVIDERS 16

/* The values of a repeatable option (OPTT_LIST), in the order given; "" clears them. */
#define CMP_OPTS_MAX_LIST 16
struct cmp_opts_list {
    const char *items[CMP_OPTS_MAX_LIST];
    int num;
};

/* The option values; the defaults are openssl cmp's (cmp_opts_init()). */
struct cmp_opts {
    /* -config, -section, -verbosity */
    const char *config;
    const char *section;
    int verbosity;

    /* generic message */
    const char *cmd, *infotype, *geninfo;

    /* certificate enrollment */
    const char *newkey, *newkeypass, *subject, *issuer;
    int centralkeygen;     /* -centralkeygen */
    const char *newkeyout; /* -newkeyout */
    int days;
    const char *reqexts, *sans;
    int san_nodefault;
    const char *policies, *policy_oids;
    int policy_oids_critical;
    int popo; /* -2: not given */
    const char *csr, *out_trusted;
    int implicit_confirm, disable_confirm;
    const char *certout, *chainout;
    struct cmp_opts_list extra_req; /* -extra_req (cmpkit's own), repeatable */

    /* certificate enrollment and revocation */
    const char *oldcert;
    int revreason;

    /* message transfer */
    const char *server, *proxy, *no_proxy, *recipient, *path;
    int keep_alive, msg_timeout, total_timeout; /* timeouts -1: not given */

    /* server authentication */
    const char *trusted, *untrusted, *srvcert, *expect_sender;
    int ignore_keyusage, unprotected_errors;
    const char *extracertsout, *cacertsout;

    /* client authentication */
    const char *ref, *secret, *cert, *own_trusted, *key, *keypass, *digest, *mac, *extracerts;
    /* cmpkit's own: PBMAC1 as the MAC of requests (-pbmac1 ...) */
    int pbmac1, mac_iterations, pvno;
    const char *pbmac1_prf, *pbmac1_mac;
    int unprotected_requests;

    /* credentials format */
    const char *certform, *keyform, *otherpass, *engine;

    /* provider and random state */
    const char *propquery;
    const char *rand, *writerand;

    /* TLS */
    int tls_used;
    const char *tls_cert, *tls_key, *tls_keypass, *tls_extra, *tls_trusted, *tls_host;

    /* client-side debugging */
    int batch, repeat;
    const char *reqin;
    int reqin_new_tid;
    const char *reqout, *rspin, *rspout;
    int use_mock_srv;

    /* mock server */
    const char *port;
    int max_msgs;
    const char *srv_ref, *srv_secret, *srv_cert, *srv_key, *srv_keypass;
    const char *srv_trusted, *srv_untrusted;
    const char *rsp_cert, *rsp_extracerts, *rsp_capubs;
    int poll_count, check_after, grant_implicitconf, pkistatus;
    int failure; /* INT_MIN: not given */
    int failurebits;
    const char *statusstring;
    int send_error, send_unprotected, send_unprot_err;
    int accept_unprotected, accept_unprot_err, accept_raverified;
    const char *rsp_key, *rsp_keypass; /* -rsp_key, -rsp_keypass */
    int accept_keyenc;                 /* -accept_keyenc (cmpkit's own) */

    /* support messages (genm, openssl 3.2 to 3.4): the client's and the mock server's */
    const char *template, *keyspec;
    const char *oldwithold, *newwithnew, *newwithold, *oldwithnew;
    const char *crlcert, *oldcrl, *crlout, *crlform; /* crlform NULL: DER */
    const char *rsp_newwithnew, *rsp_newwithold, *rsp_oldwithnew, *rsp_crl;
    /* the CA (server_main.c, ca_main.c; docs/CA.md) */
    const char *ca_cert, *ca_key, *ca_keypass, *ca_db, *ca_profiles, *ca_audit, *ca_crl_url;
    int ca_crl_interval;
    /* its administration */
    const char *ca_admin, *ca_status, *ca_subject, *ca_serial, *ca_crlout;
    int ca_json, ca_expires, ca_one_time;
    /* options of openssl cmp 3.2 to 3.6: header, revocation, outputs, offline requests */
    const char *profile, *serial, *srvcertout, *reqout_only;
    int no_cache_extracerts; /* client and mock server */
    const char *ref_cert;    /* mock server */
    const char *srv_reject_subject; /* cmpkit's own */

    /* certificate verification options, applied as they come */
    X509_VERIFY_PARAM *vpm;

    /* cmpkit's own */
    int help, version;
    const char *print;
    /* server limits (-srv_max_conns ...): 0 is "not given", the default applies */
    int srv_max_conns, srv_max_conns_per_addr, srv_req_timeout, srv_idle_timeout;
    int srv_log_time; /* -srv_log_time: log lines start with the UTC time and the client */
    int srv_max_body, srv_body_budget, srv_threads;
    int srv_max_iterations, srv_max_txns, srv_txn_timeout;
    int srv_max_txns_per_sender, srv_msgtime_window, srv_replay_cache, srv_fail_cpu;
    int srv_accept_replays; /* -srv_accept_replays: no replay check */
    /* HTTPS serving (tls_srv.h): NULL is "not given" */
    const char *srv_tls_cert, *srv_tls_key, *srv_tls_keypass, *srv_tls_extra;
    const char *srv_tls_trusted, *srv_tls_verify, *srv_tls_min_version;
    /* the rules of RFC 9483 a request is checked against (-srv_profile ...) */
    const char *srv_profile;
    int srv_require_msgtime, srv_max_rsa_bits;
    int srv_max_cert_reqs;

    /* owned */
    CONF *conf; /* the config file the string values may point into */
    OSSL_PROVIDER *providers[CMP_OPTS_MAX_PROVIDERS];
    int num_providers;
};

/* cmp_opts_init() sets the defaults; 0 if out of memory. */
int cmp_opts_init(struct cmp_opts *o);

/* cmp_opts_cleanup() frees the config, the parameters and unloads providers. */
void cmp_opts_cleanup(struct cmp_opts *o);

/* cmp_opts_find() looks an option up by name (|len| bytes, no leading '-'). */
const struct opt_def *cmp_opts_find(const char *name, size_t len);

/*
 * cmp_opts_split() takes argv[*i] apart as "-name", "--name" or
 * "-name=value": |*opt| the option (NULL and an error printed if unknown or
 * malformed), |*value| its value (consuming argv[*i + 1] when needed) or
 * NULL for a flag. Advances |*i| past what it consumed. Returns 1 or 0.
 */
int cmp_opts_split(int argc, char **argv, int *i, const struct opt_def **opt, const char **value);

/*
 * cmp_opts_set() stores |value| for |d| (NULL for a flag given on the
 * command line). With |from_config| the value comes from section(s)
 * |where| of the config file and follows its rules: numbers are decimal and
 * a value that is not one is ignored, flags are 0 or 1. Prints its own
 * errors; returns 1 or 0.
 */
int cmp_opts_set(struct cmp_opts *o, const struct opt_def *d, const char *value, int from_config,
                 const char *where);

/*
 * cmp_opts_parse_args() applies the command line (after the config file, so
 * it wins). Returns 1, or 0 after printing an error.
 */
int cmp_opts_parse_args(struct cmp_opts *o, int argc, char **argv);

/* cmp_opts_check() checks the ranges that apply whatever the source. */
int cmp_opts_check(const struct cmp_opts *o);

/* cmp_opts_help() prints the grouped option summary. */
void cmp_opts_help(FILE *fp);

/* app_log() prints an app message as openssl cmp: info and debug to stdout, else stderr. */
void app_log(int verbosity, int level, const char *fmt, ...) CMP_PRINTF(3, 4);

/* app_level_name() is openssl's name for a log level ("error", "warning", "info", ...). */
const char *app_level_name(int level);

/*
 * app_print_pki_file() prints what |data| (a file's contents) holds if it is
 * no PKIMessage: certificates, CSRs, CRLs, PKCS#7 or CMS containers, keys
 * (PEM blocks, or one DER object). 1: all printed; 0: some PEM blocks are of
 * none of these types (said on stdout); -1: none of these at all (nothing
 * printed).
 */
int app_print_pki_file(const uint8_t *data, size_t len);

/* app_print_ssl_errors() prints and clears OpenSSL's error queue on stderr. */
void app_print_ssl_errors(void);

/* parse_long() parses a whole number (base 0 as openssl's opt_long()): 1 or 0. */
int parse_long(const char *s, int base, long *out);

/* config.c: loads the config file and applies its values (see config.c). */
int cmp_config_apply(struct cmp_opts *o);

/* server_main.c: the mock server mode (-port). Returns the exit status. */
int cmp_server_main(struct cmp_opts *o);

/*
 * server_main.c: the mock server engine set up from the -srv_* and -rsp_*
 * options (for -port and -use_mock_srv); its log lines go to stderr up to
 * o->verbosity, so |o| must outlive it. NULL after printing an error.
 */
struct cmp_srv;
struct cmp_srv *app_mock_srv_new(const struct cmp_opts *o);

/* ca_main.c: -ca_admin, the CA's administration commands. Returns the exit status. */
int cmp_ca_admin_main(struct cmp_opts *o);

/* ca_main.c: is a CA option given (-ca_cert, -ca_key, -ca_db...)? */
int app_ca_mode(const struct cmp_opts *o);

/* client_main.c: the client mode (-cmd). Returns the exit status. */
int cmp_client_main(struct cmp_opts *o);

#endif
