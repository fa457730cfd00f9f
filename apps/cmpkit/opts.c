/*
 * The option table of `openssl cmp` 3.0 with openssl's names, value kinds
 * and defaults, plus cmpkit's own (-print, -version); the command-line
 * parser; -help.
 *
 * Command-line syntax as OpenSSL's: "-name value", "-name=value", and
 * "--name" for "-name". Numbers on the command line are read as openssl's
 * opt_int() reads them (strtol() base 0: decimal, 0x hex, 0 octal), in a
 * config file as openssl cmp's read_config() does (decimal only).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "opts.h"

/*
 * OPT_FIELD(field, type) is offsetof(struct cmp_opts, field), and does not
 * compile unless the field has exactly |type|: cmp_opts_set() stores through
 * the offset with the type of the row's target (OPTT_STR: const char *,
 * OPTT_INT: int), so a row pointing at a field of another type would write
 * the wrong number of bytes. The check is a static assertion inside a
 * struct whose size is multiplied by 0; _Generic's operand is not evaluated.
 */
#define OPT_FIELD(field, type)                                                                     \
    (offsetof(struct cmp_opts, field) +                                                            \
     0 * sizeof(struct {                                                                           \
         _Static_assert(_Generic(((struct cmp_opts *)0)->field, type: 1, default: 0),             \
                        "option field '" #field "' is not of type " #type);                       \
         char unused;                                                                              \
     }))

/* A string option stored in a const char * field. */
#define OPT_S(n, kind, field, grp, help)                                                           \
    {                                                                                              \
        n, kind, OPTT_STR, grp, 0, OPTID_NONE, OPT_FIELD(field, const char *), 0, help             \
    }
/* A flag or number stored in an int field. */
#define OPT_I(n, kind, field, grp, help)                                                           \
    {                                                                                              \
        n, kind, OPTT_INT, grp, 0, OPTID_NONE, OPT_FIELD(field, int), 0, help                      \
    }
/* A verification option with a value. */
#define OPT_V(n, kind, id, help)                                                                   \
    {                                                                                              \
        n, kind, OPTT_VERIFY, OPTG_VERIFY, 0, id, 0, 0, help                                       \
    }
/* A verification flag. */
#define OPT_VF(n, bits, help)                                                                      \
    {                                                                                              \
        n, OPTK_FLAG, OPTT_VERIFY, OPTG_VERIFY, 0, OPTID_V_FLAG, 0, bits, help                     \
    }

const struct opt_def cmp_opt_table[] = {
    {"help", OPTK_FLAG, OPTT_APP, OPTG_NONE, OPTF_NO_CONFIG, OPTID_HELP, 0, 0,
     "Display this summary"},
    {"config", OPTK_STR, OPTT_APP, OPTG_NONE, OPTF_NO_CONFIG, OPTID_CONFIG, 0, 0,
     "Config file to use; \"\" means none. Default from env variable OPENSSL_CONF"},
    {"section", OPTK_STR, OPTT_APP, OPTG_NONE, OPTF_NO_CONFIG, OPTID_SECTION, 0, 0,
     "Section(s) of the config file to take options from; \"\" means 'default'.\n"
     "Default 'cmp'"},
    OPT_I("verbosity", OPTK_NONNEG, verbosity, OPTG_NONE,
          "Log level: 3=ERR, 4=WARN, 6=INFO, 7=DEBUG, 8=TRACE. Default 6 = INFO"),

    /* Generic message */
    OPT_S("cmd", OPTK_STR, cmd, OPTG_GENERIC, "CMP request to send: ir/cr/kur/p10cr/rr/genm"),
    OPT_S("infotype", OPTK_STR, infotype, OPTG_GENERIC,
          "InfoType name to ask for in genm, e.g. 'signKeyPairTypes'; handled specially:\n"
          "caCerts, rootCaCert, certReqTemplate, crlStatusList"),
    OPT_S("profile", OPTK_STR, profile, OPTG_GENERIC,
          "Certificate profile name to place in the generalInfo of request headers"),
    OPT_S("geninfo", OPTK_STR, geninfo, OPTG_GENERIC,
          "Comma-separated list of OID and value to place in the generalInfo of request\n"
          "headers, as <OID>:int:<n> or <OID>:str:<s>, e.g. '1.2.3.4:int:56789, id-kp:str:name'"),
    OPT_S("template", OPTK_STR, template, OPTG_GENERIC,
          "File to save the certTemplate of a genp of type certReqTemplate in (DER)"),
    OPT_S("keyspec", OPTK_STR, keyspec, OPTG_GENERIC,
          "File to save the keySpec of a genp of type certReqTemplate in (DER); optional"),

    /* Certificate enrollment */
    OPT_S("newkey", OPTK_STR, newkey, OPTG_ENROLL,
          "Private or public key for the requested cert. Default: CSR key or client key"),
    OPT_S("newkeypass", OPTK_STR, newkeypass, OPTG_ENROLL, "Pass phrase source of -newkey"),
    OPT_I("centralkeygen", OPTK_FLAG, centralkeygen, OPTG_ENROLL,
          "Request central (server-side) key generation. Default is local generation"),
    OPT_S("newkeyout", OPTK_STR, newkeyout, OPTG_ENROLL,
          "File to save centrally generated key, in PEM format"),
    OPT_S("subject", OPTK_STR, subject, OPTG_ENROLL,
          "Subject DN for the requested certificate template.\n"
          "For kur, default is the subject of -csr or of the reference cert (-oldcert);\n"
          "for ir and cr this default applies only if no Subject Alt Names are set"),
    OPT_I("days", OPTK_NONNEG, days, OPTG_ENROLL,
          "Requested validity of the new certificate in days"),
    OPT_S("reqexts", OPTK_STR, reqexts, OPTG_ENROLL,
          "Config file section with request extensions;\n"
          "they augment or replace the extensions of a -csr"),
    OPT_S("sans", OPTK_STR, sans, OPTG_ENROLL,
          "Subject Alt Names (IP address/DNS name/URI) to request;\n"
          "\"critical\" flags them critical"),
    OPT_I("san_nodefault", OPTK_FLAG, san_nodefault, OPTG_ENROLL,
          "Do not take default SANs from the reference certificate (see -oldcert)"),
    OPT_S("policies", OPTK_STR, policies, OPTG_ENROLL,
          "Config file section with the certificate policies to request"),
    OPT_S("policy_oids", OPTK_STR, policy_oids, OPTG_ENROLL, "Policy OID(s) to request"),
    OPT_I("policy_oids_critical", OPTK_FLAG, policy_oids_critical, OPTG_ENROLL,
          "Flag the policies of -policy_oids as critical"),
    OPT_I("popo", OPTK_INT, popo, OPTG_ENROLL,
          "Proof-of-possession method for ir/cr/kur:\n"
          "-1 = NONE, 0 = RAVERIFIED, 1 = SIGNATURE (default), 2 = KEYENC"),
    OPT_S("csr", OPTK_STR, csr, OPTG_ENROLL,
          "PKCS#10 CSR (PEM or DER) to use in p10cr or to convert for ir/cr/kur"),
    OPT_S("out_trusted", OPTK_STR, out_trusted, OPTG_ENROLL,
          "Trust anchors for verifying newly enrolled certificates"),
    OPT_I("implicit_confirm", OPTK_FLAG, implicit_confirm, OPTG_ENROLL,
          "Request implicit confirmation of newly enrolled certificates"),
    OPT_I("disable_confirm", OPTK_FLAG, disable_confirm, OPTG_ENROLL,
          "Do not confirm newly enrolled certificates without asking for implicit\n"
          "confirmation. WARNING: this violates RFC 4210"),
    OPT_S("certout", OPTK_STR, certout, OPTG_ENROLL,
          "File to save the newly enrolled certificate in"),
    OPT_S("chainout", OPTK_STR, chainout, OPTG_ENROLL,
          "File to save the chain of the newly enrolled certificate in"),
    {"extra_req", OPTK_STR, OPTT_LIST, OPTG_ENROLL, 0, OPTID_NONE,
     OPT_FIELD(extra_req, struct cmp_opts_list), 0,
     "A further certificate request in the ir/cr (cmpkit's own; repeatable):\n"
     "\"subject=NAME,newkey=KEY,newkeypass=ARG,certout=FILE\"; ';' separates several"},

    /* Certificate enrollment and revocation */
    OPT_S("oldcert", OPTK_STR, oldcert, OPTG_ENROLL_REV,
          "Certificate to update (default -cert) or to revoke in rr; also the\n"
          "reference (default -cert) for subject DN and SANs. Its issuer is the\n"
          "recipient unless -recipient, -srvcert or -issuer is given"),
    OPT_S("issuer", OPTK_STR, issuer, OPTG_ENROLL_REV,
          "Issuer DN for the certificate template of ir/cr/kur/rr;\n"
          "also the recipient if neither -recipient nor -srvcert is given"),
    OPT_S("serial", OPTK_STR, serial, OPTG_ENROLL_REV,
          "Serial number (decimal, or hex with 0x) of the certificate to revoke in rr;\n"
          "with -issuer, in place of -oldcert"),
    OPT_I("revreason", OPTK_INT, revreason, OPTG_ENROLL_REV,
          "Reason code for rr: 0..6, 8..10 (RFC 5280 5.3.1) or -1 = none (default)"),

    /* Message transfer */
    OPT_S("server", OPTK_STR, server, OPTG_TRANSFER,
          "[http[s]://]address[:port][/path] of the CMP server. Default port 80 or 443;\n"
          "-path overrides the path"),
    OPT_S("proxy", OPTK_STR, proxy, OPTG_TRANSFER,
          "[http[s]://]address[:port][/path] of an HTTP(S) proxy; the path is ignored"),
    OPT_S("no_proxy", OPTK_STR, no_proxy, OPTG_TRANSFER,
          "Servers not to use the proxy for.\n"
          "Default from environment variable 'no_proxy', else 'NO_PROXY', else none"),
    OPT_S("recipient", OPTK_STR, recipient, OPTG_TRANSFER,
          "DN of the CA. Default: subject of -srvcert, -issuer,\n"
          "issuer of -oldcert or -cert"),
    OPT_S("path", OPTK_STR, path, OPTG_TRANSFER,
          "HTTP path (CMP alias) at the server. Default from -server, else \"/\""),
    OPT_I("keep_alive", OPTK_NONNEG, keep_alive, OPTG_TRANSFER,
          "Persistent HTTP connections: 0 no, 1 (default) request, 2 require"),
    OPT_I("msg_timeout", OPTK_NONNEG, msg_timeout, OPTG_TRANSFER,
          "Seconds allowed per message round trip, 0 for no limit"),
    OPT_I("total_timeout", OPTK_NONNEG, total_timeout, OPTG_TRANSFER,
          "Seconds a whole transaction including polling may take. Default 0 = no limit"),

    /* Server authentication */
    OPT_S("trusted", OPTK_STR, trusted, OPTG_SERVER_AUTH,
          "Trust anchors for signed CMP responses, unless -srvcert is given"),
    OPT_S("untrusted", OPTK_STR, untrusted, OPTG_SERVER_AUTH,
          "Intermediate CA certs for building CMP, TLS and enrolled cert chains"),
    OPT_S("srvcert", OPTK_STR, srvcert, OPTG_SERVER_AUTH,
          "Server certificate to pin and trust directly for signed CMP responses"),
    OPT_S("expect_sender", OPTK_STR, expect_sender, OPTG_SERVER_AUTH,
          "DN expected as sender of responses. Default: subject of -srvcert, if any"),
    OPT_I("ignore_keyusage", OPTK_FLAG, ignore_keyusage, OPTG_SERVER_AUTH,
          "Ignore the key usage of CMP signer certs (else digitalSignature is needed)"),
    OPT_I("unprotected_errors", OPTK_FLAG, unprotected_errors, OPTG_SERVER_AUTH,
          "Accept missing or invalid protection of error messages and negative\n"
          "ip/cp/kup, rp and pkiConf responses.\n"
          "WARNING: this allows behavior violating RFC 4210"),
    OPT_I("no_cache_extracerts", OPTK_FLAG, no_cache_extracerts, OPTG_SERVER_AUTH,
          "Do not keep the certificates of the extraCerts of messages received\n"
          "for checking later ones (client and mock server)"),
    OPT_S("srvcertout", OPTK_STR, srvcertout, OPTG_SERVER_AUTH,
          "File to save the server certificate validated for signed responses in;\n"
          "deleted when there is none (MAC-based protection)"),
    OPT_S("extracertsout", OPTK_STR, extracertsout, OPTG_SERVER_AUTH,
          "File to save the certificates of the extraCerts field of responses in"),
    OPT_S("cacertsout", OPTK_STR, cacertsout, OPTG_SERVER_AUTH,
          "File to save CA certificates in: the caPubs of 'ip' messages, or those of\n"
          "a genp with id-it-caCerts"),
    OPT_S("oldwithold", OPTK_STR, oldwithold, OPTG_SERVER_AUTH,
          "Root CA certificate to ask an update for in a genm of type rootCaCert"),
    OPT_S("newwithnew", OPTK_STR, newwithnew, OPTG_SERVER_AUTH,
          "File to save the newWithNew certificate of a genp of type rootCaKeyUpdate in"),
    OPT_S("newwithold", OPTK_STR, newwithold, OPTG_SERVER_AUTH,
          "File to save the newWithOld certificate of a genp of type rootCaKeyUpdate in"),
    OPT_S("oldwithnew", OPTK_STR, oldwithnew, OPTG_SERVER_AUTH,
          "File to save the oldWithNew certificate of a genp of type rootCaKeyUpdate in"),
    OPT_S("crlcert", OPTK_STR, crlcert, OPTG_SERVER_AUTH,
          "Certificate whose CRL to ask for in a genm of type crlStatusList"),
    OPT_S("oldcrl", OPTK_STR, oldcrl, OPTG_SERVER_AUTH,
          "CRL to ask an update of in a genm of type crlStatusList"),
    OPT_S("crlout", OPTK_STR, crlout, OPTG_SERVER_AUTH,
          "File to save the CRL of a genp of type 'crls' in"),

    /* Client authentication */
    OPT_S("ref", OPTK_STR, ref, OPTG_CLIENT_AUTH,
          "Reference value (senderKID) to use when no -cert is given"),
    OPT_S("secret", OPTK_STR, secret, OPTG_CLIENT_AUTH,
          "Password source for MAC-based (PBM) protection; preferred over signatures"),
    OPT_S("cert", OPTK_STR, cert, OPTG_CLIENT_AUTH,
          "Client's CMP signer certificate, matching -key; also the default reference\n"
          "for subject DN and SANs. Further certs in it are added to the untrusted ones"),
    OPT_S("own_trusted", OPTK_STR, own_trusted, OPTG_CLIENT_AUTH,
          "Trust anchors for checking the chain of the own CMP signer cert"),
    OPT_S("key", OPTK_STR, key, OPTG_CLIENT_AUTH, "CMP signer private key; not used with -secret"),
    OPT_S("keypass", OPTK_STR, keypass, OPTG_CLIENT_AUTH,
          "Pass phrase source of -key (and of -cert and -oldcert)"),
    OPT_S("digest", OPTK_STR, digest, OPTG_CLIENT_AUTH,
          "Digest for message protection and POPO signatures. Default \"sha256\""),
    OPT_S("mac", OPTK_STR, mac, OPTG_CLIENT_AUTH,
          "MAC algorithm for PBM-based protection. Default \"hmac-sha1\""),
    OPT_I("pbmac1", OPTK_FLAG, pbmac1, OPTG_CLIENT_AUTH,
          "Protect requests with PBMAC1 (RFC 9481 6.1.3) instead of PBM; needs -secret"),
    OPT_S("pbmac1_prf", OPTK_STR, pbmac1_prf, OPTG_CLIENT_AUTH,
          "Digest of PBMAC1's PBKDF2 PRF hmacWith<digest>: sha1 .. sha512. Default sha256"),
    OPT_S("pbmac1_mac", OPTK_STR, pbmac1_mac, OPTG_CLIENT_AUTH,
          "Digest of PBMAC1's HMAC: sha1 .. sha512. Default sha256"),
    OPT_I("mac_iterations", OPTK_POSINT, mac_iterations, OPTG_CLIENT_AUTH,
          "Iteration count of PBM (default 500) or PBMAC1 (default 10000), 100..262144"),
    OPT_I("pvno", OPTK_POSINT, pvno, OPTG_CLIENT_AUTH,
          "pvno of every request: 2 (cmp2000, default) or 3 (cmp2021)"),
    OPT_S("extracerts", OPTK_STR, extracerts, OPTG_CLIENT_AUTH,
          "Certificates to add to the extraCerts field of requests,\n"
          "such as the chain of the CMP signer cert"),
    OPT_I("unprotected_requests", OPTK_FLAG, unprotected_requests, OPTG_CLIENT_AUTH,
          "Send requests without CMP-level protection"),

    /* Credentials format */
    OPT_S("certform", OPTK_STR, certform, OPTG_FORMAT,
          "Format (PEM or DER) of certificates saved to files. Default PEM"),
    OPT_S("crlform", OPTK_STR, crlform, OPTG_FORMAT,
          "Format (PEM or DER) of a CRL saved to a file. Default DER"),
    OPT_S("keyform", OPTK_STR, keyform, OPTG_FORMAT,
          "Format of key input (PEM, DER, P12; ENGINE is not supported)"),
    OPT_S("otherpass", OPTK_STR, otherpass, OPTG_FORMAT,
          "Pass phrase source for loading the certificates of others"),
    OPT_S("engine", OPTK_STR, engine, OPTG_FORMAT,
          "Crypto engine to use (engines are deprecated; not supported, use -provider)"),

    /* Provider */
    {"provider-path", OPTK_STR, OPTT_PROVIDER, OPTG_PROVIDER, 0, OPTID_PROVIDER_PATH, 0, 0,
     "Provider load path (give it before -provider if needed)"},
    {"provider", OPTK_STR, OPTT_PROVIDER, OPTG_PROVIDER, 0, OPTID_PROVIDER, 0, 0,
     "Provider to load (may be given several times)"},
    {"propquery", OPTK_STR, OPTT_PROVIDER, OPTG_PROVIDER, 0, OPTID_PROPQUERY, 0, 0,
     "Property query for fetching algorithms"},

    /* Random state */
    OPT_S("rand", OPTK_STR, rand, OPTG_RAND, "File(s) to load into the random number generator"),
    OPT_S("writerand", OPTK_OUTFILE, writerand, OPTG_RAND, "File to write random data to"),

    /* TLS connection */
    OPT_I("tls_used", OPTK_FLAG, tls_used, OPTG_TLS,
          "Use TLS (also when no other TLS option is given)"),
    OPT_S("tls_cert", OPTK_STR, tls_cert, OPTG_TLS,
          "Client's TLS certificate, possibly with the chain to send"),
    OPT_S("tls_key", OPTK_STR, tls_key, OPTG_TLS, "Private key of the client's TLS certificate"),
    OPT_S("tls_keypass", OPTK_STR, tls_keypass, OPTG_TLS,
          "Pass phrase source of -tls_key (and -tls_cert)"),
    OPT_S("tls_extra", OPTK_STR, tls_extra, OPTG_TLS,
          "Extra certificates to send in the TLS handshake"),
    OPT_S("tls_trusted", OPTK_STR, tls_trusted, OPTG_TLS,
          "Trust anchors for the TLS server certificate; implies host name checking"),
    OPT_S("tls_host", OPTK_STR, tls_host, OPTG_TLS,
          "Address to check in the TLS server certificate instead of -server's"),

    /* Client-side debugging */
    OPT_I("batch", OPTK_FLAG, batch, OPTG_DEBUG, "Never prompt, e.g. for a pass phrase"),
    OPT_I("repeat", OPTK_POSINT, repeat, OPTG_DEBUG,
          "Run the transaction this many times. Default 1"),
    OPT_S("reqin", OPTK_STR, reqin, OPTG_DEBUG, "Take the requests to send from file(s)"),
    OPT_I("reqin_new_tid", OPTK_FLAG, reqin_new_tid, OPTG_DEBUG,
          "Give requests read with -reqin a fresh transactionID"),
    OPT_S("reqout", OPTK_STR, reqout, OPTG_DEBUG, "Save the requests made to file(s)"),
    OPT_S("reqout_only", OPTK_STR, reqout_only, OPTG_DEBUG,
          "Save the first request made to a file and exit, contacting no server"),
    OPT_S("rspin", OPTK_STR, rspin, OPTG_DEBUG,
          "Take the responses from file(s) instead of a server"),
    OPT_S("rspout", OPTK_STR, rspout, OPTG_DEBUG, "Save the responses used to file(s)"),
    OPT_I("use_mock_srv", OPTK_FLAG, use_mock_srv, OPTG_DEBUG,
          "Use the built-in mock server directly, without HTTP"),

    /* Mock server */
    OPT_S("port", OPTK_STR, port, OPTG_MOCK,
          "Act as HTTP mock server on this port ([host:]port; 0 picks a free one)"),
    OPT_I("max_msgs", OPTK_NONNEG, max_msgs, OPTG_MOCK,
          "Stop the HTTP mock server after this many requests. Default 0 = no limit"),
    OPT_S("srv_ref", OPTK_STR, srv_ref, OPTG_MOCK,
          "Reference value (senderKID) of the server when no -srv_cert is given"),
    OPT_S("srv_secret", OPTK_STR, srv_secret, OPTG_MOCK,
          "Password source of the server's pre-shared key (MAC-based protection)"),
    OPT_S("srv_cert", OPTK_STR, srv_cert, OPTG_MOCK, "Certificate of the server"),
    OPT_S("srv_key", OPTK_STR, srv_key, OPTG_MOCK, "Private key the server signs messages with"),
    OPT_S("srv_keypass", OPTK_STR, srv_keypass, OPTG_MOCK,
          "Pass phrase source of -srv_key (and -srv_cert)"),
    OPT_S("srv_trusted", OPTK_STR, srv_trusted, OPTG_MOCK,
          "Trust anchors for authenticating clients"),
    OPT_S("srv_untrusted", OPTK_STR, srv_untrusted, OPTG_MOCK,
          "Intermediate certs for verifying the protection of requests"),
    OPT_S("ref_cert", OPTK_STR, ref_cert, OPTG_MOCK,
          "Certificate rr and the oldCertID of kur must name. Default: -rsp_cert"),
    OPT_S("rsp_cert", OPTK_STR, rsp_cert, OPTG_MOCK,
          "Certificate the mock server returns on enrollment"),
    OPT_S("rsp_crl", OPTK_STR, rsp_crl, OPTG_MOCK,
          "CRL the mock server returns in a genp of type crls"),
    OPT_S("rsp_key", OPTK_STR, rsp_key, OPTG_MOCK,
          "Private key for the certificate to be returned as mock enrollment result\n"
          "Key to be returned for central key pair generation"),
    OPT_S("rsp_keypass", OPTK_STR, rsp_keypass, OPTG_MOCK,
          "Response private key (and cert) pass phrase source"),
    OPT_S("rsp_extracerts", OPTK_STR, rsp_extracerts, OPTG_MOCK,
          "Extra certificates for the mock certificate responses"),
    OPT_S("rsp_capubs", OPTK_STR, rsp_capubs, OPTG_MOCK,
          "CA certificates for the caPubs field of mock ip responses"),
    OPT_S("rsp_newwithnew", OPTK_STR, rsp_newwithnew, OPTG_MOCK,
          "New root CA certificate for the newWithNew field of a rootCaKeyUpdate genp"),
    OPT_S("rsp_newwithold", OPTK_STR, rsp_newwithold, OPTG_MOCK,
          "Link certificate for the newWithOld field of a rootCaKeyUpdate genp"),
    OPT_S("rsp_oldwithnew", OPTK_STR, rsp_oldwithnew, OPTG_MOCK,
          "Link certificate for the oldWithNew field of a rootCaKeyUpdate genp"),
    OPT_I("poll_count", OPTK_NONNEG, poll_count, OPTG_MOCK,
          "Number of polls before the client gets its certificate"),
    OPT_I("check_after", OPTK_NONNEG, check_after, OPTG_MOCK,
          "checkAfter value (seconds to wait) of poll responses. Default 1"),
    OPT_I("grant_implicitconf", OPTK_FLAG, grant_implicitconf, OPTG_MOCK,
          "Grant implicit confirmation of newly enrolled certificates"),
    OPT_I("pkistatus", OPTK_NONNEG, pkistatus, OPTG_MOCK,
          "PKIStatus of the server's responses: 0..6"),
    OPT_I("failure", OPTK_NONNEG, failure, OPTG_MOCK,
          "One failure info bit number for the server's responses: 0..26"),
    OPT_I("failurebits", OPTK_NONNEG, failurebits, OPTG_MOCK,
          "Failure info bits for the server's responses: 0..2^27 - 1"),
    OPT_S("statusstring", OPTK_STR, statusstring, OPTG_MOCK,
          "Status string for the server's responses"),
    OPT_I("send_error", OPTK_FLAG, send_error, OPTG_MOCK, "Answer requests with an error message"),
    OPT_I("send_unprotected", OPTK_FLAG, send_unprotected, OPTG_MOCK,
          "Send responses without CMP-level protection"),
    OPT_I("send_unprot_err", OPTK_FLAG, send_unprot_err, OPTG_MOCK,
          "Send negative responses (error, ip/cp/kup, rp) unprotected.\n"
          "WARNING: this violates RFC 4210"),
    OPT_I("accept_unprotected", OPTK_FLAG, accept_unprotected, OPTG_MOCK,
          "Accept missing or invalid protection of requests"),
    OPT_I("accept_unprot_err", OPTK_FLAG, accept_unprot_err, OPTG_MOCK,
          "Accept unprotected error messages from clients"),
    OPT_I("accept_raverified", OPTK_FLAG, accept_raverified, OPTG_MOCK,
          "Accept RAVERIFIED as proof of possession"),
    OPT_I("accept_keyenc", OPTK_FLAG, accept_keyenc, OPTG_MOCK,
          "Accept KEYENC (indirect POP) and return the certificate encrypted\n"
          "(cmpkit's own; openssl's mock rejects KEYENC with badPOP)"),

    /* The CA (cmpkit's own, docs/CA.md): -port with these instead of -rsp_cert */
    OPT_S("ca_cert", OPTK_STR, ca_cert, OPTG_CA,
          "CA certificate: with -ca_key and -ca_db, -port serves a CA that issues\n"
          "certificates from the requests; also signs responses unless -srv_cert"),
    OPT_S("ca_key", OPTK_STR, ca_key, OPTG_CA, "Private key of the CA (-ca_cert)"),
    OPT_S("ca_keypass", OPTK_STR, ca_keypass, OPTG_CA, "Pass phrase source of -ca_key"),
    OPT_S("ca_db", OPTK_STR, ca_db, OPTG_CA,
          "SQLite database of the CA (created, mode 0600, on first use)"),
    OPT_S("ca_profiles", OPTK_STR, ca_profiles, OPTG_CA,
          "Config file sections that are certificate profiles (commas or blanks);\n"
          "the first is the default. Default: the built-in end-entity profile"),
    OPT_I("ca_crl_interval", OPTK_NONNEG, ca_crl_interval, OPTG_CA,
          "Seconds between scheduled CRLs (and to their nextUpdate). Default 86400"),
    OPT_S("ca_crl_url", OPTK_STR, ca_crl_url, OPTG_CA,
          "http(s) URL of the CA's CRL: a cRLDistributionPoints extension in every\n"
          "certificate, and a distribution point crlStatusList (genm) may name"),
    OPT_S("ca_audit", OPTK_OUTFILE, ca_audit, OPTG_CA,
          "Append the audit lines (issued, confirmed, revoked...) to this file.\n"
          "Default: stderr"),
    /* Its administration: cmpkit -ca_db FILE -ca_admin COMMAND ... */
    OPT_S("ca_admin", OPTK_STR, ca_admin, OPTG_CA_ADMIN,
          "Administer the CA database -ca_db: list, show, revoke, secret-add,\n"
          "secret-del, secret-list, crl, sweep, check (revoke, crl, sweep need\n"
          "-ca_cert and -ca_key)"),
    OPT_S("ca_status", OPTK_STR, ca_status, OPTG_CA_ADMIN,
          "list: only these statuses (waiting, confirmed, rejected, revoked, superseded)"),
    OPT_S("ca_subject", OPTK_STR, ca_subject, OPTG_CA_ADMIN,
          "list: only subjects containing this text (as printed: CN=a,O=b)"),
    OPT_S("ca_serial", OPTK_STR, ca_serial, OPTG_CA_ADMIN,
          "list, show, revoke: the serial number in hex (0x and colons accepted);\n"
          "revoke takes the reason from -revreason"),
    OPT_I("ca_json", OPTK_FLAG, ca_json, OPTG_CA_ADMIN, "Print JSON Lines instead of text"),
    OPT_I("ca_expires", OPTK_NONNEG, ca_expires, OPTG_CA_ADMIN,
          "secret-add: seconds the secret (-ref, -secret) stays valid. Default: no expiry"),
    OPT_I("ca_one_time", OPTK_FLAG, ca_one_time, OPTG_CA_ADMIN,
          "secret-add: the secret is good for one certificate"),
    OPT_S("ca_crlout", OPTK_OUTFILE, ca_crlout, OPTG_CA_ADMIN,
          "crl: write the new CRL (PEM) to this file"),
    OPT_S("srv_reject_subject", OPTK_STR, srv_reject_subject, OPTG_MOCK,
          "Reject each certificate request with this subject (cmpkit's own)"),

    /* Certificate verification (openssl-verification-options(1)) */
    OPT_V("policy", OPTK_STR, OPTID_V_POLICY, "Add a policy to the acceptable policy set"),
    OPT_V("purpose", OPTK_STR, OPTID_V_PURPOSE, "Purpose the certificate chain must serve"),
    OPT_V("verify_name", OPTK_STR, OPTID_V_VERIFY_NAME, "Named verification policy"),
    OPT_V("verify_depth", OPTK_INT, OPTID_V_VERIFY_DEPTH, "Chain depth limit"),
    OPT_V("auth_level", OPTK_INT, OPTID_V_AUTH_LEVEL, "Chain authentication security level"),
    OPT_V("attime", OPTK_INTMAX, OPTID_V_ATTIME, "Check at this time (seconds since the epoch)"),
    OPT_V("verify_hostname", OPTK_STR, OPTID_V_VERIFY_HOSTNAME, "Expected peer host name"),
    OPT_V("verify_email", OPTK_STR, OPTID_V_VERIFY_EMAIL, "Expected peer e-mail address"),
    OPT_V("verify_ip", OPTK_STR, OPTID_V_VERIFY_IP, "Expected peer IP address"),
    OPT_VF("ignore_critical", X509_V_FLAG_IGNORE_CRITICAL, "Permit unhandled critical extensions"),
    OPT_VF("issuer_checks", 0, "(deprecated, no effect)"),
    OPT_VF("crl_check", X509_V_FLAG_CRL_CHECK, "Check the revocation of the leaf certificate"),
    OPT_VF("crl_check_all", X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL,
           "Check the revocation of the whole chain"),
    OPT_VF("policy_check", X509_V_FLAG_POLICY_CHECK, "Perform RFC 5280 policy checks"),
    OPT_VF("explicit_policy", X509_V_FLAG_EXPLICIT_POLICY,
           "Set policy variable require-explicit-policy"),
    OPT_VF("inhibit_any", X509_V_FLAG_INHIBIT_ANY, "Set policy variable inhibit-any-policy"),
    OPT_VF("inhibit_map", X509_V_FLAG_INHIBIT_MAP, "Set policy variable inhibit-policy-mapping"),
    OPT_VF("x509_strict", X509_V_FLAG_X509_STRICT,
           "Disable certificate compatibility work-arounds"),
    OPT_VF("extended_crl", X509_V_FLAG_EXTENDED_CRL_SUPPORT, "Enable extended CRL features"),
    OPT_VF("use_deltas", X509_V_FLAG_USE_DELTAS, "Use delta CRLs"),
    OPT_VF("policy_print", X509_V_FLAG_NOTIFY_POLICY, "Print policy processing diagnostics"),
    OPT_VF("check_ss_sig", X509_V_FLAG_CHECK_SS_SIGNATURE, "Check root CA self-signatures"),
    OPT_VF("trusted_first", X509_V_FLAG_TRUSTED_FIRST, "Search the trust store first (default)"),
    OPT_VF("suiteB_128_only", X509_V_FLAG_SUITEB_128_LOS_ONLY, "Suite B 128-bit-only mode"),
    OPT_VF("suiteB_128", X509_V_FLAG_SUITEB_128_LOS,
           "Suite B 128-bit mode allowing 192-bit algorithms"),
    OPT_VF("suiteB_192", X509_V_FLAG_SUITEB_192_LOS, "Suite B 192-bit-only mode"),
    OPT_VF("partial_chain", X509_V_FLAG_PARTIAL_CHAIN,
           "Accept chains anchored by intermediate trust-store CAs"),
    OPT_VF("no_alt_chains", X509_V_FLAG_NO_ALT_CHAINS, "(deprecated)"),
    OPT_VF("no_check_time", X509_V_FLAG_NO_CHECK_TIME, "Ignore certificate validity time"),
    OPT_VF("allow_proxy_certs", X509_V_FLAG_ALLOW_PROXY_CERTS, "Allow proxy certificates"),

    /* cmpkit's own */
    {"print", OPTK_INFILE, OPTT_STR, OPTG_CMPKIT, OPTF_NO_CONFIG, OPTID_PRINT,
     OPT_FIELD(print, const char *), 0,
     "Decode the PKIMessage in a DER or PEM file and print it"},
    {"version", OPTK_FLAG, OPTT_APP, OPTG_CMPKIT, OPTF_NO_CONFIG, OPTID_VERSION, 0, 0,
     "Display the cmpkit version"},

    /* cmpkit's own: limits of the server (-port, and the engine's also for -use_mock_srv) */
    OPT_I("srv_max_conns", OPTK_POSINT, srv_max_conns, OPTG_CMPKIT,
          "Server: connections open at once. Default 512"),
    OPT_I("srv_max_conns_per_addr", OPTK_POSINT, srv_max_conns_per_addr, OPTG_CMPKIT,
          "Server: connections from one IPv4 address or IPv6 /64. Default 64"),
    OPT_I("srv_req_timeout", OPTK_POSINT, srv_req_timeout, OPTG_CMPKIT,
          "Server: seconds from a request's first line to its answer. Default 30"),
    OPT_I("srv_idle_timeout", OPTK_POSINT, srv_idle_timeout, OPTG_CMPKIT,
          "Server: seconds a connection may wait for a request. Default 15"),
    OPT_I("srv_max_body", OPTK_POSINT, srv_max_body, OPTG_CMPKIT,
          "Server: bytes of one request body (413 above). Default 1048576"),
    OPT_I("srv_body_budget", OPTK_POSINT, srv_body_budget, OPTG_CMPKIT,
          "Server: bytes of request bodies held at once (503 above). Default 67108864"),
    OPT_I("srv_threads", OPTK_NONNEG, srv_threads, OPTG_CMPKIT,
          "Server: threads serving HTTP. Default 0 = one per core"),
    OPT_I("srv_max_iterations", OPTK_POSINT, srv_max_iterations, OPTG_CMPKIT,
          "Server: PBM/PBMAC1 iteration count a request may ask for. Default 262144"),
    OPT_I("srv_max_txns", OPTK_POSINT, srv_max_txns, OPTG_CMPKIT,
          "Server: open transactions kept. Default 1024"),
    OPT_I("srv_txn_timeout", OPTK_POSINT, srv_txn_timeout, OPTG_CMPKIT,
          "Server: seconds an idle transaction is kept. Default 600"),
    OPT_I("srv_max_txns_per_sender", OPTK_POSINT, srv_max_txns_per_sender, OPTG_CMPKIT,
          "Server: open transactions of one senderKID or signer certificate. Default 256"),
    OPT_I("srv_msgtime_window", OPTK_POSINT, srv_msgtime_window, OPTG_CMPKIT,
          "Server: seconds messageTime may be off our clock; bounds replay checks. Default 300"),
    OPT_I("srv_replay_cache", OPTK_POSINT, srv_replay_cache, OPTG_CMPKIT,
          "Server: senderNonces remembered against replayed requests. Default 262144"),
    OPT_I("srv_accept_replays", OPTK_FLAG, srv_accept_replays, OPTG_CMPKIT,
          "Server: no replay check: a request sent again is handled anew (as openssl's mock)"),
    OPT_I("srv_fail_cpu", OPTK_POSINT, srv_fail_cpu, OPTG_CMPKIT,
          "Server: ms of CPU per second that failed authentications of one address may cost "
          "(then 429). Default 50"),
    OPT_I("srv_log_time", OPTK_FLAG, srv_log_time, OPTG_CMPKIT,
          "Server: start each log line with the UTC time and the client's address"),

    /* cmpkit's own: HTTPS serving (-port with TLS; tls_srv.c) */
    OPT_S("srv_tls_cert", OPTK_STR, srv_tls_cert, OPTG_CMPKIT,
          "Server: serve HTTPS with this TLS certificate (PEM, DER or PKCS#12 with its key)"),
    OPT_S("srv_tls_key", OPTK_STR, srv_tls_key, OPTG_CMPKIT,
          "Server: private key of -srv_tls_cert. Default: from -srv_tls_cert"),
    OPT_S("srv_tls_keypass", OPTK_STR, srv_tls_keypass, OPTG_CMPKIT,
          "Server: pass phrase source of -srv_tls_key (and -srv_tls_cert)"),
    OPT_S("srv_tls_extra", OPTK_STR, srv_tls_extra, OPTG_CMPKIT,
          "Server: certificates sent with -srv_tls_cert (its chain)"),
    OPT_S("srv_tls_trusted", OPTK_STR, srv_tls_trusted, OPTG_CMPKIT,
          "Server: trust anchors of TLS client certificates (asks clients for one)"),
    OPT_S("srv_tls_verify", OPTK_STR, srv_tls_verify, OPTG_CMPKIT,
          "Server: TLS client certificate none, optional or require. Default optional "
          "with -srv_tls_trusted"),
    OPT_S("srv_tls_min_version", OPTK_STR, srv_tls_min_version, OPTG_CMPKIT,
          "Server: lowest TLS version, 1.2 or 1.3. Default 1.2"),

    /* cmpkit's own: the rules of RFC 9483 that requests are checked against (docs/SERVER.md) */
    OPT_S("srv_profile", OPTK_STR, srv_profile, OPTG_CMPKIT,
          "Server: rfc9810 (default: also the RFC 9483 rules openssl keeps) or lightweight "
          "(every RFC 9483 rule)"),
    OPT_I("srv_require_msgtime", OPTK_FLAG, srv_require_msgtime, OPTG_CMPKIT,
          "Server: refuse requests without messageTime (missingTimeStamp)"),
    OPT_I("srv_max_rsa_bits", OPTK_POSINT, srv_max_rsa_bits, OPTG_CMPKIT,
          "Server: largest RSA key of a certTemplate (badCertTemplate). Default 8192"),
    OPT_I("srv_max_cert_reqs", OPTK_POSINT, srv_max_cert_reqs, OPTG_CMPKIT,
          "Server: certificate requests one ir/cr/kur may carry. Default 16"),
};

const size_t cmp_opt_count = sizeof(cmp_opt_table) / sizeof(cmp_opt_table[0]);

/* ---- logging ---- */

const char *
app_level_name(int level)
{
    switch (level) {
    case LOG_LVL_EMERG:
        return "EMERG";
    case LOG_LVL_ALERT:
        return "ALERT";
    case LOG_LVL_CRIT:
        return "CRIT";
    case LOG_LVL_ERR:
        return "error";
    case LOG_LVL_WARN:
        return "warning";
    case LOG_LVL_NOTE:
        return "NOTE";
    case LOG_LVL_INFO:
        return "info";
    case LOG_LVL_DEBUG:
        return "DEBUG";
    case LOG_LVL_TRACE:
        return "TRACE";
    default:
        return "(unknown level)";
    }
}

void
app_log(int verbosity, int level, const char *fmt, ...)
{
    /* As openssl cmp 3.0: its app's info and debug lines on stdout, warnings and errors on stderr.
     */
    FILE *fp = level >= LOG_LVL_NOTE ? stdout : stderr;
    va_list ap;

    if (level > verbosity) {
        return;
    }
    flockfile(fp);
    fprintf(fp, "CMP %s: ", app_level_name(level));
    va_start(ap, fmt);
    vfprintf(fp, fmt, ap);
    va_end(ap);
    fputc('\n', fp);
    fflush(fp);
    funlockfile(fp);
}

/* ---- values ---- */

int
parse_long(const char *s, int base, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    errno = 0;
    v = strtol(s, &end, base);
    if (errno != 0 || end == s || *end != '\0') {
        return 0;
    }
    *out = v;
    return 1;
}

/* parse_intmax() reads -attime's value as openssl's opt_intmax() (base 0). */
static int
parse_intmax(const char *s, intmax_t *out)
{
    char *end;
    intmax_t v;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    errno = 0;
    v = strtoimax(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') {
        return 0;
    }
    *out = v;
    return 1;
}

int
cmp_opts_init(struct cmp_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->section = "cmp";
    o->verbosity = LOG_LVL_INFO;
    o->popo = -2;      /* not given: the client's default (signature) */
    o->revreason = -1; /* none */
    o->keep_alive = 1;
    o->msg_timeout = -1;
    o->total_timeout = -1;
    o->certform = "PEM";
    o->repeat = 1;
    o->check_after = 1; /* openssl cmp's default for the mock server */
    o->failure = INT_MIN;
    o->vpm = X509_VERIFY_PARAM_new();
    return o->vpm != NULL;
}

void
cmp_opts_cleanup(struct cmp_opts *o)
{
    int i;

    X509_VERIFY_PARAM_free(o->vpm);
    o->vpm = NULL;
    for (i = o->num_providers - 1; i >= 0; i--) {
        OSSL_PROVIDER_unload(o->providers[i]);
    }
    o->num_providers = 0;
    NCONF_free(o->conf);
    o->conf = NULL;
}

const struct opt_def *
cmp_opts_find(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < cmp_opt_count; i++) {
        if (strlen(cmp_opt_table[i].name) == len && memcmp(cmp_opt_table[i].name, name, len) == 0) {
            return &cmp_opt_table[i];
        }
    }
    return NULL;
}

void
app_print_ssl_errors(void)
{
    unsigned long e;
    char buf[256];

    for (e = ERR_get_error(); e != 0; e = ERR_get_error()) {
        ERR_error_string_n(e, buf, sizeof(buf));
        fprintf(stderr, "%s: %s\n", PROG, buf);
    }
}

/* The verification options, as openssl's opt_verify() applies them. */
static int
set_verify(struct cmp_opts *o, const struct opt_def *d, const char *value, const char *where)
{
    X509_VERIFY_PARAM *vtmp;
    ASN1_OBJECT *obj;
    intmax_t t;
    long n;
    int i;

    switch (d->id) {
    case OPTID_V_FLAG:
        if (d->vflags != 0 && !X509_VERIFY_PARAM_set_flags(o->vpm, d->vflags)) {
            break;
        }
        return 1;
    case OPTID_V_POLICY:
        obj = OBJ_txt2obj(value, 0);
        if (obj == NULL) {
            fprintf(stderr, "%s: invalid policy \"%s\"%s\n", PROG, value, where);
            return 0;
        }
        if (!X509_VERIFY_PARAM_add0_policy(o->vpm, obj)) {
            ASN1_OBJECT_free(obj);
            break;
        }
        return 1;
    case OPTID_V_PURPOSE:
        i = X509_PURPOSE_get_by_sname(value);
        if (i < 0) {
            fprintf(stderr, "%s: invalid purpose \"%s\"%s\n", PROG, value, where);
            return 0;
        }
        if (!X509_VERIFY_PARAM_set_purpose(o->vpm, X509_PURPOSE_get_id(X509_PURPOSE_get0(i)))) {
            break;
        }
        return 1;
    case OPTID_V_VERIFY_NAME:
        vtmp = (X509_VERIFY_PARAM *)X509_VERIFY_PARAM_lookup(value);
        if (vtmp == NULL) {
            fprintf(stderr, "%s: invalid verify name \"%s\"%s\n", PROG, value, where);
            return 0;
        }
        if (!X509_VERIFY_PARAM_set1(o->vpm, vtmp)) {
            break;
        }
        return 1;
    case OPTID_V_VERIFY_DEPTH:
    case OPTID_V_AUTH_LEVEL:
        if (!parse_long(value, 0, &n) || n < INT_MIN || n > INT_MAX) {
            fprintf(stderr, "%s: invalid number \"%s\" for -%s%s\n", PROG, value, d->name, where);
            return 0;
        }
        if (n >= 0) { /* openssl ignores a negative depth or level */
            if (d->id == OPTID_V_VERIFY_DEPTH) {
                X509_VERIFY_PARAM_set_depth(o->vpm, (int)n);
            } else {
                X509_VERIFY_PARAM_set_auth_level(o->vpm, (int)n);
            }
        }
        return 1;
    case OPTID_V_ATTIME:
        if (!parse_intmax(value, &t) || (intmax_t)(time_t)t != t) {
            fprintf(stderr, "%s: invalid time \"%s\" for -attime%s\n", PROG, value, where);
            return 0;
        }
        X509_VERIFY_PARAM_set_time(o->vpm, (time_t)t);
        return 1;
    case OPTID_V_VERIFY_HOSTNAME:
        if (!X509_VERIFY_PARAM_set1_host(o->vpm, value, 0)) {
            break;
        }
        return 1;
    case OPTID_V_VERIFY_EMAIL:
        if (!X509_VERIFY_PARAM_set1_email(o->vpm, value, 0)) {
            break;
        }
        return 1;
    case OPTID_V_VERIFY_IP:
        if (!X509_VERIFY_PARAM_set1_ip_asc(o->vpm, value)) {
            fprintf(stderr, "%s: invalid IP address \"%s\"%s\n", PROG, value, where);
            return 0;
        }
        return 1;
    default:
        break;
    }
    fprintf(stderr, "%s: cannot apply -%s%s\n", PROG, d->name, where);
    app_print_ssl_errors();
    return 0;
}

/* -provider-path, -provider, -propquery, as openssl's opt_provider(). */
static int
set_provider(struct cmp_opts *o, const struct opt_def *d, const char *value, const char *where)
{
    OSSL_PROVIDER *prov;

    switch (d->id) {
    case OPTID_PROVIDER_PATH:
        if (!OSSL_PROVIDER_set_default_search_path(NULL, value)) {
            break;
        }
        return 1;
    case OPTID_PROVIDER:
        if (o->num_providers >= CMP_OPTS_MAX_PROVIDERS) {
            fprintf(stderr, "%s: too many providers (at most %d)\n", PROG, CMP_OPTS_MAX_PROVIDERS);
            return 0;
        }
        prov = OSSL_PROVIDER_load(NULL, value);
        if (prov == NULL) {
            fprintf(stderr, "%s: unable to load provider %s%s\n", PROG, value, where);
            fprintf(stderr, "Hint: use -provider-path option or OPENSSL_MODULES environment "
                            "variable.\n");
            app_print_ssl_errors();
            return 0;
        }
        o->providers[o->num_providers++] = prov;
        return 1;
    case OPTID_PROPQUERY:
        if (!EVP_set_default_properties(NULL, value)) {
            break;
        }
        o->propquery = value;
        return 1;
    default:
        break;
    }
    fprintf(stderr, "%s: cannot apply -%s %s%s\n", PROG, d->name, value, where);
    app_print_ssl_errors();
    return 0;
}

/* A repeatable option (OPTT_LIST): one more value; "" clears those before. */
static int
add_to_list(struct cmp_opts_list *l, const struct opt_def *d, const char *value)
{
    if (value[0] == '\0') {
        l->num = 0;
        return 1;
    }
    if (l->num >= CMP_OPTS_MAX_LIST) {
        fprintf(stderr, "%s: -%s given more than %d times\n", PROG, d->name, CMP_OPTS_MAX_LIST);
        return 0;
    }
    l->items[l->num++] = value;
    return 1;
}

int
cmp_opts_set(struct cmp_opts *o, const struct opt_def *d, const char *value, int from_config,
             const char *where)
{
    char where_buf[160];
    long n = 1;
    int *ip;

    snprintf(where_buf, sizeof(where_buf), "%s%s%s", where != NULL ? " in config section(s) '" : "",
             where != NULL ? where : "", where != NULL ? "'" : "");
    /* Numbers and flags (openssl's '-', 'n', 'N', 'p' kinds). */
    if (d->kind != OPTK_STR && d->kind != OPTK_INFILE && d->kind != OPTK_OUTFILE &&
        d->kind != OPTK_INTMAX) {
        if (from_config) {
            /* read_config(): decimal, the whole string; anything else counts as not given. */
            if (!parse_long(value, 10, &n) || n == LONG_MIN || n == LONG_MAX) {
                return 1;
            }
            if (d->kind == OPTK_POSINT && n <= 0) {
                fprintf(stderr, "%s: non-positive number \"%ld\" for config option -%s\n", PROG, n,
                        d->name);
                return 0;
            }
            if (d->kind == OPTK_NONNEG && n < 0) {
                fprintf(stderr, "%s: negative number \"%ld\" for config option -%s\n", PROG, n,
                        d->name);
                return 0;
            }
            if (n < INT_MIN || n > INT_MAX) {
                fprintf(stderr, "%s: integer value out of range for option '%s'\n", PROG, d->name);
                return 0;
            }
        } else if (d->kind != OPTK_FLAG) {
            if (!parse_long(value, 0, &n)) {
                fprintf(stderr, "%s: invalid number \"%s\" for option -%s\n", PROG, value, d->name);
                return 0;
            }
            if (n < INT_MIN || n > INT_MAX) {
                fprintf(stderr, "%s: value \"%s\" of option -%s is out of the int range\n", PROG,
                        value, d->name);
                return 0;
            }
            if (d->kind == OPTK_NONNEG && n < 0) {
                fprintf(stderr, "%s: option -%s needs a non-negative number, not \"%s\"\n", PROG,
                        d->name, value);
                return 0;
            }
            if (d->kind == OPTK_POSINT && n <= 0) {
                fprintf(stderr, "%s: option -%s needs a positive number, not \"%s\"\n", PROG,
                        d->name, value);
                return 0;
            }
        }
        switch (d->target) {
        case OPTT_INT:
            ip = (int *)((char *)o + d->offset);
            *ip = (int)n;
            return 1;
        case OPTT_VERIFY:
            if (d->kind == OPTK_FLAG) {
                /* a flag from the config file only when non-zero, as openssl */
                return n == 0 || set_verify(o, d, NULL, where_buf);
            }
            return set_verify(o, d, value, where_buf);
        case OPTT_APP:
            return 1; /* the caller's (-help, -version) */
        default:
            break;
        }
        fprintf(stderr, "%s: internal error: option -%s\n", PROG, d->name);
        return 0;
    }

    /* Strings. */
    switch (d->target) {
    case OPTT_STR:
        if (value[0] == '\0') {
            /* openssl cmp: an empty string resets the option */
            if (!from_config) {
                app_log(o->verbosity, LOG_LVL_WARN,
                        "-%s option argument is empty string, resetting option", d->name);
            }
            value = NULL;
        } else if (!from_config && value[0] == '-') {
            app_log(o->verbosity, LOG_LVL_WARN, "-%s option argument starts with hyphen", d->name);
        }
        *(const char **)((char *)o + d->offset) = value;
        return 1;
    case OPTT_VERIFY:
        return set_verify(o, d, value, where_buf);
    case OPTT_PROVIDER:
        return set_provider(o, d, value, where_buf);
    case OPTT_APP:
        return 1;
    case OPTT_LIST:
        return add_to_list((struct cmp_opts_list *)((char *)o + d->offset), d, value);
    default:
        break;
    }
    fprintf(stderr, "%s: internal error: option -%s\n", PROG, d->name);
    return 0;
}

int
cmp_opts_split(int argc, char **argv, int *i, const struct opt_def **opt, const char **value)
{
    const char *arg = argv[*i], *name, *eq;
    const struct opt_def *d;
    size_t name_len;

    *opt = NULL;
    *value = NULL;
    if (arg[0] != '-' || arg[1] == '\0') {
        fprintf(stderr, "%s: extra argument: \"%s\"\n", PROG, arg);
        fprintf(stderr, "%s: Use -help for summary.\n", PROG);
        return 0;
    }
    name = arg + 1;
    if (name[0] == '-') {
        name++; /* "--name" as OpenSSL accepts it */
    }
    eq = strchr(name, '=');
    name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    d = cmp_opts_find(name, name_len);
    if (d == NULL) {
        fprintf(stderr, "%s: Unknown option: %s\n", PROG, arg);
        fprintf(stderr, "%s: Use -help for summary.\n", PROG);
        return 0;
    }
    if (d->kind == OPTK_FLAG) {
        if (eq != NULL) {
            fprintf(stderr, "%s: option -%s takes no value\n", PROG, d->name);
            return 0;
        }
    } else if (eq != NULL) {
        *value = eq + 1;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        fprintf(stderr, "%s: option -%s needs a value\n", PROG, d->name);
        return 0;
    }
    ++*i;
    *opt = d;
    return 1;
}

int
cmp_opts_parse_args(struct cmp_opts *o, int argc, char **argv)
{
    const struct opt_def *d;
    const char *value;
    int i = 1;

    while (i < argc) {
        if (!cmp_opts_split(argc, argv, &i, &d, &value)) {
            return 0;
        }
        switch (d->id) {
        case OPTID_HELP:
            o->help = 1;
            return 1; /* as openssl: what follows -help is not looked at */
        case OPTID_VERSION:
            o->version = 1;
            break;
        case OPTID_CONFIG:
        case OPTID_SECTION:
            break; /* taken before the config file was read */
        default:
            if (!cmp_opts_set(o, d, value, 0, NULL)) {
                return 0;
            }
            break;
        }
    }
    return 1;
}

int
cmp_opts_check(const struct cmp_opts *o)
{
    if (o->verbosity < LOG_LVL_EMERG || o->verbosity > LOG_LVL_TRACE) {
        fprintf(stderr, "%s: logging verbosity level %d out of range (0 .. 8)\n", PROG,
                o->verbosity);
        return 0;
    }
    if (o->keep_alive > 2) {
        fprintf(stderr, "%s: -keep_alive argument must be 0, 1, or 2\n", PROG);
        return 0;
    }
    if (o->popo != -2 && (o->popo < -1 || o->popo > 2)) {
        fprintf(stderr, "%s: invalid -popo %d. Valid values are -1 .. 2\n", PROG, o->popo);
        return 0;
    }
    if (o->revreason < -1 || o->revreason > 10 || o->revreason == 7) {
        fprintf(stderr, "%s: invalid -revreason %d. Valid values are -1 .. 6, 8 .. 10\n", PROG,
                o->revreason);
        return 0;
    }
    return 1;
}

/* ---- -help ---- */

static const char *
kind_name(int kind)
{
    switch (kind) {
    case OPTK_STR:
        return "val";
    case OPTK_INFILE:
        return "infile";
    case OPTK_OUTFILE:
        return "outfile";
    case OPTK_INT:
        return "int";
    case OPTK_NONNEG:
        return "nonneg";
    case OPTK_POSINT:
        return "+int";
    case OPTK_INTMAX:
        return "intmax";
    default:
        return "";
    }
}

static const char *
group_title(int group)
{
    switch (group) {
    case OPTG_GENERIC:
        return "Generic message options";
    case OPTG_ENROLL:
        return "Certificate enrollment options";
    case OPTG_ENROLL_REV:
        return "Certificate enrollment and revocation options";
    case OPTG_TRANSFER:
        return "Message transfer options";
    case OPTG_SERVER_AUTH:
        return "Server authentication options";
    case OPTG_CLIENT_AUTH:
        return "Client authentication options";
    case OPTG_FORMAT:
        return "Credentials format options";
    case OPTG_PROVIDER:
        return "Provider options";
    case OPTG_RAND:
        return "Random state options";
    case OPTG_TLS:
        return "TLS connection options";
    case OPTG_DEBUG:
        return "Client-side debugging options";
    case OPTG_MOCK:
        return "Mock server options";
    case OPTG_VERIFY:
        return "Validation options";
    case OPTG_CA:
        return "CA options (cmpkit)";
    case OPTG_CA_ADMIN:
        return "CA administration options (cmpkit)";
    case OPTG_CMPKIT:
        return "cmpkit options";
    default:
        return NULL;
    }
}

void
cmp_opts_help(FILE *fp)
{
    char left[64];
    const char *h, *nl;
    size_t i;
    int group = OPTG_NONE;

    fprintf(fp, "Usage: %s [options]\n", PROG);
    fprintf(fp, "Valid options are:\n");
    for (i = 0; i < cmp_opt_count; i++) {
        const struct opt_def *d = &cmp_opt_table[i];

        if (d->group != group) {
            group = d->group;
            if (group_title(group) != NULL) {
                fprintf(fp, "\n%s:\n", group_title(group));
            }
        }
        snprintf(left, sizeof(left), "-%s %s", d->name, kind_name(d->kind));
        h = d->help;
        nl = strchr(h, '\n');
        if (strlen(left) > 22) {
            fprintf(fp, " %s\n %-22s ", left, "");
        } else {
            fprintf(fp, " %-22s ", left);
        }
        fprintf(fp, "%.*s\n", nl != NULL ? (int)(nl - h) : (int)strlen(h), h);
        while (nl != NULL) {
            h = nl + 1;
            nl = strchr(h, '\n');
            fprintf(fp, " %-22s %.*s\n", "", nl != NULL ? (int)(nl - h) : (int)strlen(h), h);
        }
    }
}
