/*
 * A tiny test harness shared by the programs in tests/unit/: no framework, just counters.
 *
 *   CHECK(cond)                 counts a pass or prints file:line and the
 *                               expression, and counts a failure
 *   CHECK_CASE(name, cond)      the same, naming the table row that failed
 *   CHECK_MEM(name, a, a_len, b, b_len)
 *                               compares bytes, printing both in hex if they
 *                               differ
 *   return check_finish();      prints "N passed, N failed" as the last line
 *                               and returns main's exit status (0 or 1)
 *
 * A test that needs an optional input (such as ../shared, passed as an
 * argument from tests/CMakeLists.txt) returns CHECK_SKIP when it is absent;
 * ctest reports that as skipped (SKIP_RETURN_CODE).
 */
#ifndef CMPKIT_TESTS_CHECK_H
#define CMPKIT_TESTS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define CHECK_SKIP 77

extern int check_num_passed;
extern int check_num_failed;

/* check_true() records one check; returns |ok| so that callers can stop early. */
int check_true(int ok, const char *name, const char *expr, const char *file, int line);

/* check_mem() records one byte-for-byte comparison. */
int check_mem(const char *name, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
              const char *file, int line);

#define CHECK(cond) check_true((cond) ? 1 : 0, NULL, #cond, __FILE__, __LINE__)
#define CHECK_CASE(name, cond) check_true((cond) ? 1 : 0, (name), #cond, __FILE__, __LINE__)
#define CHECK_MEM(name, a, a_len, b, b_len)                                                        \
    check_mem((name), (a), (a_len), (b), (b_len), __FILE__, __LINE__)

/* check_finish() prints "N passed, N failed" and returns 0 if none failed, else 1. */
int check_finish(void);

/*
 * check_unhex() decodes hex (whitespace between bytes allowed) into |buf|.
 * Returns 0 on a malformed string or when |cap| is too small: a broken table
 * row, which the caller reports as a failed check.
 */
int check_unhex(const char *hex, uint8_t *buf, size_t cap, size_t *out_len);

/* check_have_dir() is 1 if |path| names a directory. */
int check_have_dir(const char *path);

/*
 * Loading test inputs from DIR/NAME: check_read_file() reads a whole file
 * into a new buffer (free() it); check_load_cert() and check_load_key() read
 * a PEM certificate or private key. Each prints the path and fails (0 or
 * NULL) when the file cannot be read.
 */
struct x509_st;
struct evp_pkey_st;
int check_read_file(const char *dir, const char *name, uint8_t **out, size_t *out_len);
struct x509_st *check_load_cert(const char *dir, const char *name);
struct evp_pkey_st *check_load_key(const char *dir, const char *name);

#endif
