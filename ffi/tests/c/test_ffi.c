/*
 * The C ABI test: every exported function through success and refusal,
 * bad input at the boundary (NULL, zero and huge lengths, wrong handle
 * types, invalid UTF-8, codes outside the enums), and threads sharing
 * handles. Built by ffi/tests/run-c-tests.sh with -Wall -Werror under
 * ASan/UBSan, and again plain for valgrind.
 *
 * Usage: test_ffi VECTORS_DIR FIXTURES_DIR
 * Prints "N passed, N failed" last; exits non-zero when anything failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yizhengtong.h"

static int passed, failed;
static const char *vectors, *fixtures;

static void report_failure(const char *file, int line, const char *what, int32_t got,
                           int32_t want) {
    char msg[512];
    size_t n = 0;
    if (yzt_last_error_message(msg, sizeof msg, &n) != YZT_OK) {
        strcpy(msg, "(no message)");
    }
    failed++;
    fprintf(stderr, "FAIL %s:%d: %s returned %d, expected %d: %s\n", file, line, what, got, want,
            msg);
}

#define EXPECT(want, expr)                                                                         \
    do {                                                                                           \
        int32_t rc_ = (expr);                                                                      \
        if (rc_ == (want))                                                                         \
            passed++;                                                                              \
        else                                                                                       \
            report_failure(__FILE__, __LINE__, #expr, rc_, (want));                                \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond)                                                                                  \
            passed++;                                                                              \
        else {                                                                                     \
            failed++;                                                                              \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
        }                                                                                          \
    } while (0)

/* True when this thread's last error message contains `what`. */
static int last_error_has(const char *what) {
    char m[512];
    size_t n = 0;
    return yzt_last_error_message(m, sizeof m, &n) == YZT_OK && strstr(m, what) != NULL;
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A length no real buffer has: above PTRDIFF_MAX. */
static const size_t HUGE_LEN = (size_t)PTRDIFF_MAX + 1;
static const uint8_t MSG[] = "bid document";
#define MSG_LEN (sizeof MSG - 1)

static void test_conventions(void) {
    char buf[256];
    size_t n = 0;
    EXPECT(YZT_OK, yzt_result_message(YZT_SIGNATURE_MISMATCH, buf, sizeof buf, &n));
    CHECK(n == strlen(buf) + 1 && strstr(buf, "signature") != NULL);
    /* size query, then too small */
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_result_message(YZT_OK, NULL, 0, &n));
    CHECK(n == strlen("success") + 1);
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_result_message(YZT_OK, buf, 3, &n));
    EXPECT(YZT_NULL_POINTER, yzt_result_message(YZT_OK, buf, sizeof buf, NULL));
    /* a code from C outside the enum */
    EXPECT(YZT_UNKNOWN_VALUE, yzt_result_message(12345, buf, sizeof buf, &n));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_result_message(-1, buf, sizeof buf, &n));
    /* every documented code has a message */
    const int32_t codes[] = {YZT_OK, YZT_SIGNATURE_MISMATCH, YZT_NULL_POINTER,
                             YZT_INVALID_ARGUMENT, YZT_INSUFFICIENT_SIZE, YZT_PANIC,
                             YZT_WRONG_HANDLE, YZT_INVALID_UTF8, YZT_UNKNOWN_VALUE,
                             YZT_OUT_OF_RANGE, YZT_ABSENT, YZT_MALFORMED, YZT_INVALID_LENGTH,
                             YZT_UNSUPPORTED_ALGORITHM, YZT_POINT_NOT_ON_CURVE,
                             YZT_POINT_AT_INFINITY, YZT_INVALID_POINT_ENCODING,
                             YZT_SCALAR_OUT_OF_RANGE, YZT_KEY_MISMATCH, YZT_SIGNATURE_OUT_OF_RANGE,
                             YZT_USER_ID_TOO_LONG, YZT_EMPTY_PLAINTEXT, YZT_DECRYPTION_FAILED,
                             YZT_INVALID_PADDING, YZT_AUTHENTICATION_FAILED, YZT_WRONG_PASSWORD,
                             YZT_INVALID_PARAMETER, YZT_PIN_FORMAT,
                             YZT_PIN_CONFIRMATION_MISMATCH, YZT_WRONG_PIN, YZT_CONTAINER_LOCKED,
                             YZT_CERTIFICATE, YZT_CRL, YZT_INVALID_STATE, YZT_FORBIDDEN,
                             YZT_NOT_FOUND, YZT_CONFLICT, YZT_STORE, YZT_OTHER};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        EXPECT(YZT_OK, yzt_result_message(codes[i], buf, sizeof buf, &n));
    }
    /* the panic boundary; the last error says what happened */
    EXPECT(YZT_PANIC, yzt_selftest_panic());
    EXPECT(YZT_OK, yzt_last_error_message(buf, sizeof buf, &n));
    CHECK(strstr(buf, "panic") != NULL);
    /* reading the last error does not clear it */
    EXPECT(YZT_OK, yzt_last_error_message(buf, sizeof buf, &n));
    CHECK(strstr(buf, "panic") != NULL);
    EXPECT(YZT_NULL_POINTER, yzt_last_error_message(buf, sizeof buf, NULL));
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_last_error_message(buf, 0, &n));
}

static void test_keys(void) {
    YztPrivateKey *key = NULL, *key2 = NULL;
    YztPublicKey *pub = NULL, *pub2 = NULL;
    YztBytes *b = NULL, *b2 = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;

    EXPECT(YZT_OK, yzt_private_key_generate(&key));
    CHECK(key != NULL);
    EXPECT(YZT_NULL_POINTER, yzt_private_key_generate(NULL));

    /* every export format round-trips */
    const int32_t formats[] = {YZT_KEY_PKCS8_PEM, YZT_KEY_PKCS8_DER, YZT_KEY_SEC1_PEM,
                               YZT_KEY_SEC1_DER};
    for (size_t i = 0; i < 4; i++) {
        EXPECT(YZT_OK, yzt_private_key_export(key, formats[i], &b));
        EXPECT(YZT_OK, yzt_bytes_data(b, &data, &len));
        EXPECT(YZT_OK, yzt_private_key_import(data, len, &key2));
        EXPECT(YZT_OK, yzt_private_key_export(key2, formats[i], &b2));
        const uint8_t *d2;
        size_t l2;
        EXPECT(YZT_OK, yzt_bytes_data(b2, &d2, &l2));
        CHECK(l2 == len && memcmp(d2, data, len) == 0);
        yzt_bytes_free(b2);
        yzt_bytes_free(b);
        yzt_private_key_free(key2);
        key2 = NULL;
    }
    EXPECT(YZT_UNKNOWN_VALUE, yzt_private_key_export(key, 77, &b));
    CHECK(b == NULL);
    EXPECT(YZT_MALFORMED, yzt_private_key_import((const uint8_t *)"junk", 4, &key2));
    CHECK(key2 == NULL);
    EXPECT(YZT_MALFORMED, yzt_private_key_import(NULL, 0, &key2));
    EXPECT(YZT_NULL_POINTER, yzt_private_key_import(NULL, 5, &key2));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_private_key_import((const uint8_t *)"x", HUGE_LEN, &key2));

    /* encrypted PKCS#8, each scheme, PEM and DER */
    const uint8_t pw[] = "correct horse";
    const int32_t schemes[] = {YZT_PBES2_SM4_HMAC_SM3, YZT_PBES2_SM4_HMAC_SHA256,
                               YZT_PBES2_AES256_HMAC_SHA256};
    for (size_t i = 0; i < 3; i++) {
        EXPECT(YZT_OK, yzt_private_key_export_encrypted(key, pw, sizeof pw - 1, schemes[i], 1000,
                                                        (int32_t)(i % 2), &b));
        EXPECT(YZT_OK, yzt_bytes_data(b, &data, &len));
        EXPECT(YZT_OK, yzt_private_key_import_encrypted(data, len, pw, sizeof pw - 1, &key2));
        yzt_private_key_free(key2);
        key2 = NULL;
        EXPECT(YZT_WRONG_PASSWORD,
               yzt_private_key_import_encrypted(data, len, (const uint8_t *)"wrong", 5, &key2));
        CHECK(key2 == NULL);
        if (i % 2) {
            /* an encrypted PEM without a password is refused, with a reason */
            EXPECT(YZT_INVALID_PARAMETER, yzt_private_key_import(data, len, &key2));
        }
        yzt_bytes_free(b);
    }
    EXPECT(YZT_UNKNOWN_VALUE,
           yzt_private_key_export_encrypted(key, pw, sizeof pw - 1, 9, 1000, 1, &b));
    EXPECT(YZT_INVALID_PARAMETER,
           yzt_private_key_export_encrypted(key, pw, sizeof pw - 1, 0, 10, 1, &b));
    EXPECT(YZT_NULL_POINTER, yzt_private_key_export_encrypted(key, NULL, 3, 0, 1000, 1, &b));

    /* public keys */
    EXPECT(YZT_OK, yzt_private_key_public_key(key, &pub));
    const int32_t pformats[] = {YZT_PUB_SPKI_PEM, YZT_PUB_SPKI_DER, YZT_PUB_POINT,
                                YZT_PUB_POINT_COMPRESSED};
    for (size_t i = 0; i < 4; i++) {
        EXPECT(YZT_OK, yzt_public_key_export(pub, pformats[i], &b));
        EXPECT(YZT_OK, yzt_bytes_data(b, &data, &len));
        if (pformats[i] == YZT_PUB_POINT) CHECK(len == 65 && data[0] == 4);
        if (pformats[i] == YZT_PUB_POINT_COMPRESSED) CHECK(len == 33);
        EXPECT(YZT_OK, yzt_public_key_import(data, len, &pub2));
        yzt_public_key_free(pub2);
        pub2 = NULL;
        yzt_bytes_free(b);
    }
    EXPECT(YZT_UNKNOWN_VALUE, yzt_public_key_export(pub, -3, &b));
    /* a point off the curve */
    uint8_t bad_point[65];
    memset(bad_point, 1, sizeof bad_point);
    bad_point[0] = 4;
    EXPECT(YZT_POINT_NOT_ON_CURVE, yzt_public_key_import(bad_point, sizeof bad_point, &pub2));
    CHECK(pub2 == NULL);

    /* bytes handle conventions */
    EXPECT(YZT_OK, yzt_public_key_export(pub, YZT_PUB_POINT, &b));
    uint8_t small[10], big[100];
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_bytes_copy(b, small, sizeof small, &len));
    CHECK(len == 65);
    EXPECT(YZT_OK, yzt_bytes_copy(b, big, sizeof big, &len));
    CHECK(len == 65 && big[0] == 4);
    EXPECT(YZT_NULL_POINTER, yzt_bytes_copy(b, NULL, 100, &len));
    EXPECT(YZT_NULL_POINTER, yzt_bytes_data(b, NULL, &len));
    EXPECT(YZT_NULL_POINTER, yzt_bytes_data(NULL, &data, &len));
    yzt_bytes_free(b);

    /* wrong handle types are detected, and nothing is freed */
    EXPECT(YZT_WRONG_HANDLE, yzt_private_key_export((const YztPrivateKey *)pub, 0, &b));
    EXPECT(YZT_WRONG_HANDLE, yzt_bytes_data((const YztBytes *)key, &data, &len));
    EXPECT(YZT_WRONG_HANDLE, yzt_public_key_free((YztPublicKey *)key));
    EXPECT(YZT_WRONG_HANDLE, yzt_private_key_free((YztPrivateKey *)pub));

    /* NULL-tolerant frees */
    EXPECT(YZT_OK, yzt_private_key_free(NULL));
    EXPECT(YZT_OK, yzt_public_key_free(NULL));
    EXPECT(YZT_OK, yzt_bytes_free(NULL));
    EXPECT(YZT_OK, yzt_public_key_free(pub));
    EXPECT(YZT_OK, yzt_private_key_free(key));
}

static void test_sign(void) {
    YztPrivateKey *key = NULL;
    YztPublicKey *pub = NULL, *other = NULL;
    YztPrivateKey *okey = NULL;
    uint8_t sig[YZT_SIGNATURE_MAX_LEN], raw[64], digest[32];
    size_t sig_len = 0, raw_len = 0, dlen = 0;
    const uint8_t id[] = "alice@example";

    EXPECT(YZT_OK, yzt_private_key_generate(&key));
    EXPECT(YZT_OK, yzt_private_key_public_key(key, &pub));
    EXPECT(YZT_OK, yzt_private_key_generate(&okey));
    EXPECT(YZT_OK, yzt_private_key_public_key(okey, &other));

    /* default ID (NULL, 0), DER */
    EXPECT(YZT_OK, yzt_sign(key, NULL, 0, MSG, MSG_LEN, YZT_SIG_DER, sig, sizeof sig, &sig_len));
    CHECK(sig_len > 64 && sig_len <= YZT_SIGNATURE_MAX_LEN && sig[0] == 0x30);
    EXPECT(YZT_OK, yzt_verify(pub, NULL, 0, MSG, MSG_LEN, sig, sig_len, YZT_SIG_DER));
    EXPECT(YZT_OK, yzt_verify(pub, (const uint8_t *)"1234567812345678", 16, MSG, MSG_LEN, sig,
                              sig_len, YZT_SIG_DETECT));
    EXPECT(YZT_SIGNATURE_MISMATCH,
           yzt_verify(pub, NULL, 0, (const uint8_t *)"tampered", 8, sig, sig_len, YZT_SIG_DER));
    EXPECT(YZT_SIGNATURE_MISMATCH,
           yzt_verify(other, NULL, 0, MSG, MSG_LEN, sig, sig_len, YZT_SIG_DER));
    EXPECT(YZT_SIGNATURE_MISMATCH,
           yzt_verify(pub, id, sizeof id - 1, MSG, MSG_LEN, sig, sig_len, YZT_SIG_DER));
    /* an empty (non-NULL) ID is a different ID from the default */
    EXPECT(YZT_SIGNATURE_MISMATCH,
           yzt_verify(pub, id, 0, MSG, MSG_LEN, sig, sig_len, YZT_SIG_DER));
    EXPECT(YZT_INVALID_LENGTH, yzt_verify(pub, NULL, 0, MSG, MSG_LEN, sig, sig_len, YZT_SIG_RAW));
    EXPECT(YZT_MALFORMED, yzt_verify(pub, NULL, 0, MSG, MSG_LEN, sig, sig_len - 1, YZT_SIG_DER));

    /* custom ID, raw */
    EXPECT(YZT_OK,
           yzt_sign(key, id, sizeof id - 1, MSG, MSG_LEN, YZT_SIG_RAW, raw, sizeof raw, &raw_len));
    CHECK(raw_len == 64);
    EXPECT(YZT_OK, yzt_verify(pub, id, sizeof id - 1, MSG, MSG_LEN, raw, raw_len, YZT_SIG_RAW));
    EXPECT(YZT_OK, yzt_verify(pub, id, sizeof id - 1, MSG, MSG_LEN, raw, raw_len, YZT_SIG_DETECT));
    uint8_t zero[64] = {0};
    EXPECT(YZT_SIGNATURE_OUT_OF_RANGE,
           yzt_verify(pub, NULL, 0, MSG, MSG_LEN, zero, sizeof zero, YZT_SIG_RAW));

    /* buffers: too small tells the size; NULL out_len refused */
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_sign(key, NULL, 0, MSG, MSG_LEN, YZT_SIG_RAW, raw, 10,
                                           &raw_len));
    CHECK(raw_len == 64);
    EXPECT(YZT_INSUFFICIENT_SIZE,
           yzt_sign(key, NULL, 0, MSG, MSG_LEN, YZT_SIG_RAW, NULL, 0, &raw_len));
    EXPECT(YZT_NULL_POINTER, yzt_sign(key, NULL, 0, MSG, MSG_LEN, YZT_SIG_RAW, raw, 64, NULL));
    /* codes outside the enum */
    EXPECT(YZT_UNKNOWN_VALUE, yzt_sign(key, NULL, 0, MSG, MSG_LEN, 5, raw, 64, &raw_len));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_sign(key, NULL, 0, MSG, MSG_LEN, YZT_SIG_DETECT, raw, 64,
                                       &raw_len));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_verify(pub, NULL, 0, MSG, MSG_LEN, raw, 64, -1));
    /* NULL and huge lengths */
    EXPECT(YZT_NULL_POINTER, yzt_sign(NULL, NULL, 0, MSG, MSG_LEN, 0, sig, sizeof sig, &sig_len));
    EXPECT(YZT_NULL_POINTER, yzt_sign(key, NULL, 0, NULL, 4, 0, sig, sizeof sig, &sig_len));
    EXPECT(YZT_NULL_POINTER, yzt_sign(key, NULL, 3, MSG, MSG_LEN, 0, sig, sizeof sig, &sig_len));
    EXPECT(YZT_INVALID_ARGUMENT,
           yzt_sign(key, NULL, 0, MSG, HUGE_LEN, 0, sig, sizeof sig, &sig_len));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_verify(pub, NULL, 0, MSG, MSG_LEN, sig, HUGE_LEN, 0));
    EXPECT(YZT_MALFORMED, yzt_verify(pub, NULL, 0, MSG, MSG_LEN, NULL, 0, YZT_SIG_DER));
    /* an empty message is a message */
    EXPECT(YZT_OK, yzt_sign(key, NULL, 0, NULL, 0, YZT_SIG_DER, sig, sizeof sig, &sig_len));
    EXPECT(YZT_OK, yzt_verify(pub, NULL, 0, NULL, 0, sig, sig_len, YZT_SIG_DER));
    /* a user ID longer than 8191 bytes */
    uint8_t *long_id = calloc(YZT_MAX_USER_ID_LEN + 1, 1);
    EXPECT(YZT_USER_ID_TOO_LONG, yzt_sign(key, long_id, YZT_MAX_USER_ID_LEN + 1, MSG, MSG_LEN, 0,
                                          sig, sizeof sig, &sig_len));
    free(long_id);
    /* wrong handle type */
    EXPECT(YZT_WRONG_HANDLE, yzt_verify((const YztPublicKey *)key, NULL, 0, MSG, MSG_LEN, sig,
                                        sig_len, YZT_SIG_DER));

    /* digest variants agree with the message variants */
    EXPECT(YZT_OK, yzt_message_digest(pub, NULL, 0, MSG, MSG_LEN, digest, sizeof digest, &dlen));
    CHECK(dlen == 32);
    EXPECT(YZT_OK, yzt_sign_digest(key, digest, 32, YZT_SIG_DER, sig, sizeof sig, &sig_len));
    EXPECT(YZT_OK, yzt_verify(pub, NULL, 0, MSG, MSG_LEN, sig, sig_len, YZT_SIG_DER));
    EXPECT(YZT_OK, yzt_verify_digest(pub, digest, 32, sig, sig_len, YZT_SIG_DER));
    digest[0] ^= 1;
    EXPECT(YZT_SIGNATURE_MISMATCH, yzt_verify_digest(pub, digest, 32, sig, sig_len, YZT_SIG_DER));
    EXPECT(YZT_INVALID_LENGTH, yzt_sign_digest(key, digest, 31, 0, sig, sizeof sig, &sig_len));
    EXPECT(YZT_INVALID_LENGTH, yzt_verify_digest(pub, digest, 33, sig, sig_len, 0));
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_message_digest(pub, NULL, 0, MSG, MSG_LEN, digest, 31,
                                                     &dlen));

    /* the prepared verifier */
    YztVerifier *v = NULL;
    EXPECT(YZT_OK, yzt_sign(key, id, sizeof id - 1, MSG, MSG_LEN, YZT_SIG_DER, sig, sizeof sig,
                            &sig_len));
    EXPECT(YZT_OK, yzt_verifier_new(pub, id, sizeof id - 1, &v));
    EXPECT(YZT_OK, yzt_verifier_verify(v, MSG, MSG_LEN, sig, sig_len, YZT_SIG_DER));
    EXPECT(YZT_SIGNATURE_MISMATCH, yzt_verifier_verify(v, MSG, MSG_LEN - 1, sig, sig_len, 0));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_verifier_verify(v, MSG, MSG_LEN, sig, sig_len, 42));
    EXPECT(YZT_WRONG_HANDLE, yzt_verifier_verify((const YztVerifier *)pub, MSG, MSG_LEN, sig,
                                                 sig_len, 0));
    EXPECT(YZT_NULL_POINTER, yzt_verifier_new(NULL, NULL, 0, &v));
    EXPECT(YZT_NULL_POINTER, yzt_verifier_new(pub, NULL, 0, NULL));
    EXPECT(YZT_OK, yzt_verifier_free(v));
    EXPECT(YZT_OK, yzt_verifier_free(NULL));

    yzt_public_key_free(pub);
    yzt_public_key_free(other);
    yzt_private_key_free(key);
    yzt_private_key_free(okey);
}

static void test_encrypt(void) {
    YztPrivateKey *key = NULL, *okey = NULL;
    YztPublicKey *pub = NULL;
    YztBytes *ct = NULL, *pt = NULL;
    const uint8_t *c, *p;
    size_t clen, plen;
    EXPECT(YZT_OK, yzt_private_key_generate(&key));
    EXPECT(YZT_OK, yzt_private_key_generate(&okey));
    EXPECT(YZT_OK, yzt_private_key_public_key(key, &pub));
    const int32_t formats[] = {YZT_CT_ASN1, YZT_CT_C1C3C2, YZT_CT_C1C2C3,
                               YZT_CT_C1C3C2_NOPREFIX, YZT_CT_C1C2C3_NOPREFIX};
    for (size_t i = 0; i < 5; i++) {
        EXPECT(YZT_OK, yzt_encrypt(pub, MSG, MSG_LEN, formats[i], &ct));
        EXPECT(YZT_OK, yzt_bytes_data(ct, &c, &clen));
        EXPECT(YZT_OK, yzt_decrypt(key, c, clen, formats[i], &pt));
        EXPECT(YZT_OK, yzt_bytes_data(pt, &p, &plen));
        CHECK(plen == MSG_LEN && memcmp(p, MSG, MSG_LEN) == 0);
        yzt_bytes_free(pt);
        EXPECT(YZT_OK, yzt_decrypt(key, c, clen, YZT_CT_DETECT, &pt));
        yzt_bytes_free(pt);
        pt = NULL;
        EXPECT(YZT_DECRYPTION_FAILED, yzt_decrypt(okey, c, clen, formats[i], &pt));
        CHECK(pt == NULL);
        yzt_bytes_free(ct);
    }
    EXPECT(YZT_EMPTY_PLAINTEXT, yzt_encrypt(pub, NULL, 0, YZT_CT_ASN1, &ct));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_encrypt(pub, MSG, MSG_LEN, YZT_CT_DETECT, &ct));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_decrypt(key, MSG, MSG_LEN, 99, &pt));
    EXPECT(YZT_INVALID_LENGTH, yzt_decrypt(key, MSG, MSG_LEN, YZT_CT_DETECT, &pt));
    EXPECT(YZT_NULL_POINTER, yzt_encrypt(pub, MSG, MSG_LEN, 0, NULL));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_decrypt(key, MSG, HUGE_LEN, 0, &pt));
    EXPECT(YZT_WRONG_HANDLE, yzt_decrypt((const YztPrivateKey *)pub, MSG, MSG_LEN, 0, &pt));
    yzt_public_key_free(pub);
    yzt_private_key_free(key);
    yzt_private_key_free(okey);
}

static int hex_eq(const uint8_t *b, size_t n, const char *hex) {
    char s[2 * 64 + 1];
    for (size_t i = 0; i < n; i++) snprintf(s + 2 * i, 3, "%02x", b[i]);
    return strcmp(s, hex) == 0;
}

static void test_hash(void) {
    uint8_t d[32];
    size_t n = 0;
    const char *abc_sm3 = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
    EXPECT(YZT_OK, yzt_sm3((const uint8_t *)"abc", 3, d, sizeof d, &n));
    CHECK(n == 32 && hex_eq(d, 32, abc_sm3));
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_sm3((const uint8_t *)"abc", 3, d, 31, &n));
    CHECK(n == 32);
    EXPECT(YZT_NULL_POINTER, yzt_sm3(NULL, 3, d, sizeof d, &n));
    EXPECT(YZT_OK, yzt_sm3(NULL, 0, d, sizeof d, &n));

    YztSm3 *h = NULL;
    EXPECT(YZT_OK, yzt_sm3_new(&h));
    EXPECT(YZT_OK, yzt_sm3_update(h, (const uint8_t *)"a", 1));
    EXPECT(YZT_OK, yzt_sm3_update(h, (const uint8_t *)"bc", 2));
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_sm3_finalize(h, d, 8, &n));
    EXPECT(YZT_OK, yzt_sm3_finalize(h, d, sizeof d, &n));
    CHECK(hex_eq(d, 32, abc_sm3));
    /* finalize resets: a second message hashes alone */
    EXPECT(YZT_OK, yzt_sm3_update(h, (const uint8_t *)"abc", 3));
    EXPECT(YZT_OK, yzt_sm3_finalize(h, d, sizeof d, &n));
    CHECK(hex_eq(d, 32, abc_sm3));
    EXPECT(YZT_NULL_POINTER, yzt_sm3_update(h, NULL, 1));
    EXPECT(YZT_NULL_POINTER, yzt_sm3_new(NULL));
    YztPrivateKey *not_sm3 = NULL;
    EXPECT(YZT_OK, yzt_private_key_generate(&not_sm3));
    EXPECT(YZT_WRONG_HANDLE, yzt_sm3_update((const YztSm3 *)not_sm3, (const uint8_t *)"a", 1));
    EXPECT(YZT_WRONG_HANDLE, yzt_sm3_free((YztSm3 *)not_sm3));
    yzt_private_key_free(not_sm3);
    EXPECT(YZT_OK, yzt_sm3_free(h));
    EXPECT(YZT_OK, yzt_sm3_free(NULL));

    uint8_t tag[32];
    EXPECT(YZT_OK, yzt_hmac_sm3((const uint8_t *)"key", 3, MSG, MSG_LEN, tag, sizeof tag, &n));
    CHECK(n == 32);
    EXPECT(YZT_OK, yzt_hmac_sm3_verify((const uint8_t *)"key", 3, MSG, MSG_LEN, tag, 32));
    tag[31] ^= 1;
    EXPECT(YZT_AUTHENTICATION_FAILED,
           yzt_hmac_sm3_verify((const uint8_t *)"key", 3, MSG, MSG_LEN, tag, 32));
    /* a truncated tag (16 to 32 bytes) is checked on its length */
    EXPECT(YZT_OK, yzt_hmac_sm3_verify((const uint8_t *)"key", 3, MSG, MSG_LEN, tag, 31));
    EXPECT(YZT_INVALID_LENGTH, yzt_hmac_sm3_verify((const uint8_t *)"key", 3, MSG, MSG_LEN, tag, 15));
    EXPECT(YZT_NULL_POINTER, yzt_hmac_sm3(NULL, 3, MSG, MSG_LEN, tag, sizeof tag, &n));
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_hmac_sm3(NULL, 0, MSG, MSG_LEN, tag, 1, &n));

    uint8_t dk[40];
    EXPECT(YZT_OK, yzt_pbkdf2_hmac_sm3((const uint8_t *)"pw", 2, (const uint8_t *)"salt", 4, 10,
                                       dk, sizeof dk));
    EXPECT(YZT_INVALID_PARAMETER,
           yzt_pbkdf2_hmac_sm3((const uint8_t *)"pw", 2, NULL, 0, 0, dk, sizeof dk));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_pbkdf2_hmac_sm3((const uint8_t *)"pw", 2, NULL, 0, 1, dk, 0));
    EXPECT(YZT_NULL_POINTER, yzt_pbkdf2_hmac_sm3((const uint8_t *)"pw", 2, NULL, 0, 1, NULL, 8));
}

static void test_sm4(void) {
    const uint8_t key[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                             0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    const uint8_t iv[16] = {0};
    const uint8_t nonce[12] = {1};
    const uint8_t aad[] = "header";
    YztBytes *ct = NULL, *pt = NULL;
    const uint8_t *c, *p;
    size_t clen, plen;

    /* GB/T 32907 example 1 */
    EXPECT(YZT_OK, yzt_sm4_encrypt(YZT_SM4_ECB, key, 16, NULL, 0, NULL, 0, YZT_PAD_NONE, key, 16,
                                   &ct));
    EXPECT(YZT_OK, yzt_bytes_data(ct, &c, &clen));
    CHECK(clen == 16 && hex_eq(c, 16, "681edf34d206965e86b3e94f536e4246"));
    yzt_bytes_free(ct);

    struct {
        int32_t mode, padding;
        const uint8_t *iv;
        size_t iv_len;
        const uint8_t *aad;
        size_t aad_len;
    } cases[] = {
        {YZT_SM4_ECB, YZT_PAD_PKCS7, NULL, 0, NULL, 0},
        {YZT_SM4_CBC, YZT_PAD_PKCS7, iv, 16, NULL, 0},
        {YZT_SM4_CTR, YZT_PAD_NONE, iv, 16, NULL, 0},
        {YZT_SM4_GCM, YZT_PAD_NONE, nonce, 12, aad, sizeof aad - 1},
        {YZT_SM4_CCM, YZT_PAD_NONE, nonce, 12, aad, sizeof aad - 1},
    };
    for (size_t i = 0; i < 5; i++) {
        EXPECT(YZT_OK, yzt_sm4_encrypt(cases[i].mode, key, 16, cases[i].iv, cases[i].iv_len,
                                       cases[i].aad, cases[i].aad_len, cases[i].padding, MSG,
                                       MSG_LEN, &ct));
        EXPECT(YZT_OK, yzt_bytes_data(ct, &c, &clen));
        EXPECT(YZT_OK, yzt_sm4_decrypt(cases[i].mode, key, 16, cases[i].iv, cases[i].iv_len,
                                       cases[i].aad, cases[i].aad_len, cases[i].padding, c, clen,
                                       &pt));
        EXPECT(YZT_OK, yzt_bytes_data(pt, &p, &plen));
        CHECK(plen == MSG_LEN && memcmp(p, MSG, MSG_LEN) == 0);
        yzt_bytes_free(pt);
        yzt_bytes_free(ct);
    }
    /* refusals */
    EXPECT(YZT_INVALID_LENGTH, yzt_sm4_encrypt(YZT_SM4_CBC, key, 15, iv, 16, NULL, 0, 0, MSG,
                                               MSG_LEN, &ct));
    EXPECT(YZT_INVALID_LENGTH, yzt_sm4_encrypt(YZT_SM4_CBC, key, 16, iv, 8, NULL, 0, 0, MSG,
                                               MSG_LEN, &ct));
    EXPECT(YZT_INVALID_LENGTH, yzt_sm4_encrypt(YZT_SM4_ECB, key, 16, NULL, 0, NULL, 0,
                                               YZT_PAD_NONE, MSG, MSG_LEN, &ct));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_sm4_encrypt(YZT_SM4_ECB, key, 16, iv, 16, NULL, 0, 0, MSG,
                                                 MSG_LEN, &ct));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_sm4_encrypt(YZT_SM4_CBC, key, 16, iv, 16, aad, 3, 0, MSG,
                                                 MSG_LEN, &ct));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_sm4_encrypt(YZT_SM4_GCM, key, 16, nonce, 12, NULL, 0,
                                                 YZT_PAD_PKCS7, MSG, MSG_LEN, &ct));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_sm4_encrypt(17, key, 16, iv, 16, NULL, 0, 0, MSG, MSG_LEN, &ct));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_sm4_encrypt(YZT_SM4_CBC, key, 16, iv, 16, NULL, 0, 3, MSG,
                                              MSG_LEN, &ct));
    EXPECT(YZT_NULL_POINTER, yzt_sm4_encrypt(YZT_SM4_CBC, NULL, 16, iv, 16, NULL, 0, 0, MSG,
                                             MSG_LEN, &ct));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_sm4_encrypt(YZT_SM4_CBC, key, 16, iv, 16, NULL, 0, 0, MSG,
                                                 HUGE_LEN, &ct));
    /* tampered AEAD, bad padding */
    EXPECT(YZT_OK, yzt_sm4_encrypt(YZT_SM4_GCM, key, 16, nonce, 12, aad, 3, YZT_PAD_NONE, MSG,
                                   MSG_LEN, &ct));
    EXPECT(YZT_OK, yzt_bytes_data(ct, &c, &clen));
    EXPECT(YZT_AUTHENTICATION_FAILED, yzt_sm4_decrypt(YZT_SM4_GCM, key, 16, nonce, 12, aad, 2,
                                                      YZT_PAD_NONE, c, clen, &pt));
    CHECK(pt == NULL);
    yzt_bytes_free(ct);
    uint8_t block[16] = {0};
    /* a block whose decryption does not end in valid PKCS#7 padding */
    EXPECT(YZT_OK, yzt_sm4_encrypt(YZT_SM4_CBC, key, 16, iv, 16, NULL, 0, YZT_PAD_NONE, block, 16,
                                   &ct));
    EXPECT(YZT_OK, yzt_bytes_data(ct, &c, &clen));
    EXPECT(YZT_INVALID_PADDING, yzt_sm4_decrypt(YZT_SM4_CBC, key, 16, iv, 16, NULL, 0,
                                                YZT_PAD_PKCS7, c, clen, &pt));
    CHECK(pt == NULL);
    yzt_bytes_free(ct);
}

static void test_container(void) {
    YztPrivateKey *key = NULL, *opened = NULL;
    YztContainer *c = NULL, *c2 = NULL;
    YztPublicKey *pub = NULL;
    YztBytes *b = NULL;
    const uint8_t *d;
    size_t n;
    uint32_t left = 0;
    EXPECT(YZT_OK, yzt_private_key_generate(&key));
    EXPECT(YZT_PIN_CONFIRMATION_MISMATCH, yzt_container_create(key, "123456", "123457", 1000, 3,
                                                               &c));
    CHECK(c == NULL);
    EXPECT(YZT_PIN_FORMAT, yzt_container_create(key, "12345", "12345", 1000, 3, &c));
    EXPECT(YZT_INVALID_PARAMETER, yzt_container_create(key, "123456", "123456", 10, 3, &c));
    EXPECT(YZT_INVALID_PARAMETER, yzt_container_create(key, "123456", "123456", 1000, 101, &c));
    EXPECT(YZT_INVALID_UTF8, yzt_container_create(key, "\xff\xfe\xfd", "123456", 1000, 3, &c));
    EXPECT(YZT_NULL_POINTER, yzt_container_create(key, NULL, "123456", 1000, 3, &c));
    EXPECT(YZT_OK, yzt_container_create(key, "123456", "123456", 1000, 3, &c));
    EXPECT(YZT_OK, yzt_container_remaining_attempts(c, &left));
    CHECK(left == 3);
    EXPECT(YZT_OK, yzt_container_public_key(c, &pub));
    yzt_public_key_free(pub);

    EXPECT(YZT_WRONG_PIN, yzt_container_unlock(c, "000000", &opened));
    CHECK(opened == NULL);
    EXPECT(YZT_OK, yzt_container_remaining_attempts(c, &left));
    CHECK(left == 2);
    EXPECT(YZT_PIN_FORMAT, yzt_container_unlock(c, "abc", &opened));
    EXPECT(YZT_INVALID_UTF8, yzt_container_unlock(c, "\xc3\x28", &opened));
    EXPECT(YZT_OK, yzt_container_unlock(c, "123456", &opened));
    yzt_private_key_free(opened);
    opened = NULL;
    EXPECT(YZT_OK, yzt_container_remaining_attempts(c, &left));
    CHECK(left == 3);

    EXPECT(YZT_OK, yzt_container_change_pin(c, "123456", "654321", "654321"));
    EXPECT(YZT_PIN_CONFIRMATION_MISMATCH, yzt_container_change_pin(c, "654321", "111111", "111112"));
    EXPECT(YZT_WRONG_PIN, yzt_container_change_pin(c, "123456", "111111", "111111"));
    EXPECT(YZT_NULL_POINTER, yzt_container_change_pin(c, NULL, "111111", "111111"));

    /* persist and reload, the count carried along */
    EXPECT(YZT_OK, yzt_container_to_bytes(c, &b));
    EXPECT(YZT_OK, yzt_bytes_data(b, &d, &n));
    EXPECT(YZT_OK, yzt_container_from_bytes(d, n, &c2));
    EXPECT(YZT_OK, yzt_container_remaining_attempts(c2, &left));
    CHECK(left == 2);
    EXPECT(YZT_OK, yzt_container_unlock(c2, "654321", &opened));
    yzt_private_key_free(opened);
    opened = NULL;
    YztContainer *c3 = NULL;
    EXPECT(YZT_MALFORMED, yzt_container_from_bytes(d + 1, n - 1, &c3));
    EXPECT(YZT_MALFORMED, yzt_container_from_bytes(d, n / 2, &c3));
    CHECK(c3 == NULL);
    yzt_bytes_free(b);

    /* lock it */
    EXPECT(YZT_WRONG_PIN, yzt_container_unlock(c, "000000", &opened));
    EXPECT(YZT_WRONG_PIN, yzt_container_unlock(c, "000000", &opened));
    EXPECT(YZT_CONTAINER_LOCKED, yzt_container_unlock(c, "654321", &opened));
    EXPECT(YZT_OK, yzt_container_remaining_attempts(c, &left));
    CHECK(left == 0);
    EXPECT(YZT_WRONG_HANDLE, yzt_container_unlock((const YztContainer *)key, "654321", &opened));
    EXPECT(YZT_NULL_POINTER, yzt_container_remaining_attempts(c, NULL));
    EXPECT(YZT_NULL_POINTER, yzt_container_to_bytes(NULL, &b));
    EXPECT(YZT_NULL_POINTER, yzt_container_public_key(c, NULL));

    EXPECT(YZT_OK, yzt_container_free(c));
    EXPECT(YZT_OK, yzt_container_free(c2));
    EXPECT(YZT_OK, yzt_container_free(NULL));
    yzt_private_key_free(key);
}

static YztCertificate *load_cert(const char *dir, const char *name) {
    size_t n;
    uint8_t *data = read_file(dir, name, &n);
    YztCertificate *c = NULL;
    EXPECT(YZT_OK, yzt_certificate_parse(data, n, &c));
    free(data);
    return c;
}

static void test_cert(void) {
    YztCertificate *root = load_cert(vectors, "certs/nrcac_rootca.pem");
    YztCertificate *ca = load_cert(vectors, "certs/sheca_sm2_ca.pem");
    YztCertificate *ee = load_cert(vectors, "certs/zhejiang_tax_signer_ee.pem");
    char buf[512];
    size_t n;
    int64_t nb, na;
    int32_t is_ca = -1, idx, check;
    uint32_t ku;

    EXPECT(YZT_OK, yzt_certificate_text(ca, YZT_CERT_SUBJECT, buf, sizeof buf, &n));
    CHECK(strstr(buf, "SHECA SM2") != NULL);
    EXPECT(YZT_OK, yzt_certificate_text(ca, YZT_CERT_ISSUER, buf, sizeof buf, &n));
    CHECK(strstr(buf, "ROOTCA") != NULL);
    EXPECT(YZT_OK, yzt_certificate_text(ca, YZT_CERT_SERIAL_HEX, buf, sizeof buf, &n));
    CHECK(strcasecmp(buf, "2DA1A6BD0CE76C624E634B7D6A29D02A") == 0);
    EXPECT(YZT_OK, yzt_certificate_text(ca, YZT_CERT_COMMON_NAME, buf, sizeof buf, &n));
    CHECK(strcmp(buf, "SHECA SM2") == 0);
    EXPECT(YZT_OK, yzt_certificate_text(ca, YZT_CERT_ORGANIZATION, buf, sizeof buf, &n));
    EXPECT(YZT_OK, yzt_certificate_text(ee, YZT_CERT_COMMON_NAME, buf, sizeof buf, &n));
    CHECK(strcmp(buf, "浙江省税务监制章电子证书") == 0);
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_certificate_text(ca, YZT_CERT_PEM, buf, 10, &n));
    CHECK(n > 100);
    EXPECT(YZT_UNKNOWN_VALUE, yzt_certificate_text(ca, 1000, buf, sizeof buf, &n));
    EXPECT(YZT_OK, yzt_certificate_validity(ca, &nb, &na));
    CHECK(nb == 1379059825 && na == 2009779825);
    EXPECT(YZT_NULL_POINTER, yzt_certificate_validity(ca, NULL, &na));
    EXPECT(YZT_OK, yzt_certificate_is_ca(ca, &is_ca));
    CHECK(is_ca == 1);
    EXPECT(YZT_OK, yzt_certificate_is_ca(ee, &is_ca));
    CHECK(is_ca == 0);
    EXPECT(YZT_OK, yzt_certificate_key_usage(ca, &ku));
    CHECK(ku == (YZT_KU_KEY_CERT_SIGN | YZT_KU_CRL_SIGN));
    EXPECT(YZT_OK, yzt_certificate_key_usage(ee, &ku));
    CHECK((ku & YZT_KU_DIGITAL_SIGNATURE) && (ku & YZT_KU_NON_REPUDIATION));
    YztBytes *der = NULL;
    EXPECT(YZT_OK, yzt_certificate_der(ca, &der));
    const uint8_t *d;
    EXPECT(YZT_OK, yzt_bytes_data(der, &d, &n));
    CHECK(n > 300 && d[0] == 0x30);
    YztCertificate *again = NULL;
    EXPECT(YZT_OK, yzt_certificate_parse(d, n, &again));
    yzt_certificate_free(again);
    yzt_bytes_free(der);
    YztPublicKey *pk = NULL;
    EXPECT(YZT_OK, yzt_certificate_public_key(ca, &pk));
    yzt_public_key_free(pk);
    EXPECT(YZT_MALFORMED, yzt_certificate_parse((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &again));
    EXPECT(YZT_NULL_POINTER, yzt_certificate_parse(NULL, 10, &again));

    /* chains */
    const YztCertificate *anchors[] = {root};
    const int64_t at_2020 = 1577836800, at_2040 = 2208988800;
    EXPECT(YZT_OK, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, at_2020, YZT_USE_CERT_SIGN,
                                    0, &idx, &check));
    CHECK(idx == -1 && check == YZT_CHECK_NONE);
    EXPECT(YZT_OK, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, at_2020, YZT_USE_ANY, 0,
                                    NULL, NULL));
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, at_2040,
                                             YZT_USE_ANY, 0, &idx, &check));
    CHECK(idx == 0 && check == YZT_CHECK_EXPIRED);
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, at_2020,
                                             YZT_USE_ENCRYPTION, 0, &idx, &check));
    CHECK(check == YZT_CHECK_KEY_USAGE);
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(ee, NULL, 0, anchors, 1, NULL, 0, at_2020,
                                             YZT_USE_ANY, 0, &idx, &check));
    CHECK(idx == 0 && check == YZT_CHECK_ISSUER_NOT_FOUND);
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(ca, NULL, 0, NULL, 0, NULL, 0, at_2020, YZT_USE_ANY,
                                             0, &idx, &check));
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, at_2020,
                                             YZT_USE_ANY, 1, &idx, &check));
    CHECK(check == YZT_CHECK_REVOCATION_UNKNOWN);
    EXPECT(YZT_UNKNOWN_VALUE, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, at_2020, 7, 0,
                                               &idx, &check));
    EXPECT(YZT_NULL_POINTER, yzt_chain_verify(ca, NULL, 2, anchors, 1, NULL, 0, at_2020, 0, 0,
                                              &idx, &check));
    const YztCertificate *with_null[] = {root, NULL};
    EXPECT(YZT_NULL_POINTER, yzt_chain_verify(ca, NULL, 0, with_null, 2, NULL, 0, at_2020, 0, 0,
                                              &idx, &check));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_chain_verify(ca, NULL, 0, anchors, HUGE_LEN, NULL, 0,
                                                  at_2020, 0, 0, &idx, &check));
    /* extreme times are answered, not refused */
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, INT64_MAX, 0, 0,
                                             &idx, &check));
    CHECK(check == YZT_CHECK_EXPIRED);
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(ca, NULL, 0, anchors, 1, NULL, 0, -1000000000000LL,
                                             0, 0, &idx, &check));
    CHECK(check == YZT_CHECK_NOT_YET_VALID);

    /* CRLs made by the CLI (fixtures): the CA's CRL revokes the leaf */
    size_t ln;
    uint8_t *crl_pem = read_file(fixtures, "crl.pem", &ln);
    YztCrl *crl = NULL;
    EXPECT(YZT_OK, yzt_crl_parse(crl_pem, ln, &crl));
    YztCrl *bad_crl = NULL;
    EXPECT(YZT_MALFORMED, yzt_crl_parse((const uint8_t *)"\x30\x00", 2, &bad_crl));
    CHECK(bad_crl == NULL);
    free(crl_pem);
    YztCertificate *froot = load_cert(fixtures, "root/ca.cert.pem");
    YztCertificate *fsub = load_cert(fixtures, "sub/ca.cert.pem");
    YztCertificate *revoked = load_cert(fixtures, "revoked.pem");
    YztCertificate *good = load_cert(fixtures, "good.pem");
    const YztCertificate *fanchors[] = {froot};
    const YztCertificate *finter[] = {fsub};
    const YztCrl *crls[] = {crl};
    int64_t now = 0, nb2;
    EXPECT(YZT_OK, yzt_certificate_validity(good, &nb2, &now));
    now = nb2 + 3600;
    EXPECT(YZT_OK, yzt_chain_verify(good, finter, 1, fanchors, 1, crls, 1, now, YZT_USE_SIGNATURE,
                                    0, &idx, &check));
    EXPECT(YZT_CERTIFICATE, yzt_chain_verify(revoked, finter, 1, fanchors, 1, crls, 1, now,
                                             YZT_USE_SIGNATURE, 0, &idx, &check));
    CHECK(idx == 0 && check == YZT_CHECK_REVOKED);
    EXPECT(YZT_OK, yzt_chain_verify(revoked, finter, 1, fanchors, 1, NULL, 0, now,
                                    YZT_USE_SIGNATURE, 0, &idx, &check));
    EXPECT(YZT_WRONG_HANDLE, yzt_chain_verify(revoked, finter, 1, fanchors, 1,
                                              (const YztCrl *const *)fanchors, 1, now, 0, 0, &idx,
                                              &check));
    EXPECT(YZT_WRONG_HANDLE, yzt_crl_free((YztCrl *)good));
    EXPECT(YZT_OK, yzt_crl_free(crl));
    EXPECT(YZT_OK, yzt_crl_free(NULL));
    YztCrl *crl2 = NULL;
    uint8_t *crl_again = read_file(fixtures, "crl.pem", &ln);
    EXPECT(YZT_OK, yzt_crl_parse(crl_again, ln, &crl2));
    free(crl_again);
    EXPECT(YZT_WRONG_HANDLE, yzt_certificate_free((YztCertificate *)crl2));
    EXPECT(YZT_OK, yzt_crl_free(crl2));
    yzt_certificate_free(froot);
    yzt_certificate_free(fsub);
    yzt_certificate_free(revoked);
    yzt_certificate_free(good);
    EXPECT(YZT_OK, yzt_certificate_free(root));
    EXPECT(YZT_OK, yzt_certificate_free(ca));
    EXPECT(YZT_OK, yzt_certificate_free(ee));
    EXPECT(YZT_OK, yzt_certificate_free(NULL));
}

static void test_seal(void) {
    size_t n, dn;
    uint8_t *esl = read_file(vectors, "ses/UserV4.esl", &n);
    YztSeal *seal = NULL;
    YztSeal *bad = NULL;
    EXPECT(YZT_OK, yzt_seal_parse(esl, n, &seal));
    EXPECT(YZT_MALFORMED, yzt_seal_parse(esl, n - 1, &bad));
    CHECK(bad == NULL);
    free(esl);
    char buf[256];
    size_t len;
    int64_t v;
    EXPECT(YZT_OK, yzt_seal_text(seal, YZT_SEAL_ID, buf, sizeof buf, &len));
    EXPECT(YZT_OK, yzt_seal_text(seal, YZT_SEAL_NAME, buf, sizeof buf, &len));
    EXPECT(YZT_OK, yzt_seal_text(seal, YZT_SEAL_PICTURE_TYPE, buf, sizeof buf, &len));
    CHECK(strcasecmp(buf, "png") == 0);
    EXPECT(YZT_OK, yzt_seal_text(seal, YZT_SEAL_VENDOR_ID, buf, sizeof buf, &len));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_seal_text(seal, 9, buf, sizeof buf, &len));
    EXPECT(YZT_OK, yzt_seal_int(seal, YZT_SEAL_VERSION, &v));
    CHECK(v == 4);
    const int32_t ints[] = {YZT_SEAL_TYPE, YZT_SEAL_CREATED, YZT_SEAL_VALID_START,
                            YZT_SEAL_VALID_END, YZT_SEAL_PICTURE_WIDTH_MM,
                            YZT_SEAL_PICTURE_HEIGHT_MM};
    for (size_t i = 0; i < 6; i++) EXPECT(YZT_OK, yzt_seal_int(seal, ints[i], &v));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_seal_int(seal, -8, &v));
    EXPECT(YZT_NULL_POINTER, yzt_seal_int(seal, 0, NULL));
    YztBytes *b = NULL;
    const uint8_t *d;
    const int32_t bins[] = {YZT_SEAL_PICTURE, YZT_SEAL_MAKER_CERT, YZT_SEAL_DER};
    for (size_t i = 0; i < 3; i++) {
        EXPECT(YZT_OK, yzt_seal_bytes(seal, bins[i], &b));
        EXPECT(YZT_OK, yzt_bytes_data(b, &d, &len));
        CHECK(len > 0);
        yzt_bytes_free(b);
    }
    EXPECT(YZT_UNKNOWN_VALUE, yzt_seal_bytes(seal, 3, &b));

    YztCertificate *root = load_cert(vectors, "ses/ofdrw_ROOT_cert.pem");
    const YztCertificate *anchors[] = {root};
    YztReport *r = NULL;
    int32_t valid = -1, status = -1;
    size_t steps = 0;
    /* in 2021 (in the seal's validity), no anchors: chain steps skipped */
    EXPECT(YZT_OK, yzt_seal_verify(seal, 1609459200, NULL, 0, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_OK, yzt_report_summary(r, &valid, &steps));
    CHECK(steps > 0);
    for (size_t i = 0; i < steps; i++) {
        char name[64], detail[512];
        size_t nl, dl;
        EXPECT(YZT_OK, yzt_report_step(r, i, &status, name, sizeof name, &nl, detail,
                                       sizeof detail, &dl));
        CHECK(nl == strlen(name) + 1);
    }
    EXPECT(YZT_OUT_OF_RANGE, yzt_report_step(r, steps, &status, NULL, 0, NULL, NULL, 0, NULL));
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_report_step(r, 0, &status, buf, 1, &len, NULL, 0, NULL));
    EXPECT(YZT_NULL_POINTER, yzt_report_step(r, 0, NULL, NULL, 0, NULL, NULL, 0, NULL));
    EXPECT(YZT_OK, yzt_report_json(r, &b));
    EXPECT(YZT_OK, yzt_bytes_data(b, &d, &len));
    CHECK(len > 10 && memcmp(d, "{\"valid\":", 9) == 0);
    yzt_bytes_free(b);
    EXPECT(YZT_OK, yzt_report_free(r));
    /* far in the future: the seal's validity step fails */
    EXPECT(YZT_OK, yzt_seal_verify(seal, 4102444800, anchors, 1, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_OK, yzt_report_summary(r, &valid, NULL));
    CHECK(valid == 0);
    yzt_report_free(r);
    EXPECT(YZT_NULL_POINTER, yzt_seal_verify(NULL, 0, NULL, 0, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_NULL_POINTER, yzt_seal_verify(seal, 0, NULL, 3, NULL, 0, NULL, 0, &r));

    /* a signature over Signature.xml */
    uint8_t *sv = read_file(vectors, "ses/SignedValueV4.dat", &n);
    uint8_t *doc = read_file(vectors, "ses/Signature.xml", &dn);
    YztSealSignature *sig = NULL;
    EXPECT(YZT_OK, yzt_seal_signature_parse(sv, n, &sig));
    YztSealSignature *bad_sig = NULL;
    EXPECT(YZT_MALFORMED, yzt_seal_signature_parse(sv, 10, &bad_sig));
    CHECK(bad_sig == NULL);
    YztSeal *inner = NULL;
    int64_t t = 0;
    EXPECT(YZT_OK, yzt_seal_signature_seal(sig, &t, &inner));
    CHECK(t > 1500000000);
    yzt_seal_free(inner);
    EXPECT(YZT_OK, yzt_seal_signature_seal(sig, NULL, &inner));
    EXPECT(YZT_OK, yzt_seal_int(inner, YZT_SEAL_VERSION, &v));
    CHECK(v == 4);
    yzt_seal_free(inner);
    EXPECT(YZT_NULL_POINTER, yzt_seal_signature_seal(sig, NULL, NULL));
    EXPECT(YZT_OK, yzt_seal_signature_signer_cert(sig, &b));
    yzt_bytes_free(b);
    /* ofdrw's sample signs a zero dataHash: every step passes but the digest */
    EXPECT(YZT_OK, yzt_seal_signature_verify(sig, doc, dn, NULL, 0, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_OK, yzt_report_summary(r, &valid, &steps));
    CHECK(valid == 0);
    for (size_t i = 0; i < steps; i++) {
        char name[64];
        size_t nl;
        EXPECT(YZT_OK, yzt_report_step(r, i, &status, name, sizeof name, &nl, NULL, 0, NULL));
        CHECK((strcmp(name, "document_digest") == 0) == (status == YZT_STEP_FAILED));
    }
    yzt_report_free(r);
    /* without the document the digest step is skipped and the rest holds */
    EXPECT(YZT_OK, yzt_seal_signature_verify(sig, NULL, 0, NULL, 0, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_OK, yzt_report_summary(r, &valid, NULL));
    CHECK(valid == 1);
    yzt_report_free(r);
    yzt_seal_signature_free(sig);
    free(sv);
    free(doc);
    /* a real signed OFD: valid with its document, invalid when tampered */
    sv = read_file(vectors, "ses/ofd_sign_v4signed/SignedValue.dat", &n);
    doc = read_file(vectors, "ses/ofd_sign_v4signed/Signature.xml", &dn);
    EXPECT(YZT_OK, yzt_seal_signature_parse(sv, n, &sig));
    EXPECT(YZT_OK, yzt_seal_signature_verify(sig, doc, dn, NULL, 0, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_OK, yzt_report_summary(r, &valid, NULL));
    CHECK(valid == 1);
    yzt_report_free(r);
    doc[dn / 2] ^= 1;
    EXPECT(YZT_OK, yzt_seal_signature_verify(sig, doc, dn, NULL, 0, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_OK, yzt_report_summary(r, &valid, NULL));
    CHECK(valid == 0);
    yzt_report_free(r);
    EXPECT(YZT_WRONG_HANDLE, yzt_seal_signature_verify((const YztSealSignature *)seal, NULL, 0,
                                                       NULL, 0, NULL, 0, NULL, 0, &r));
    EXPECT(YZT_WRONG_HANDLE, yzt_report_summary((const YztReport *)seal, &valid, NULL));
    EXPECT(YZT_OK, yzt_seal_signature_free(sig));
    EXPECT(YZT_OK, yzt_seal_signature_free(NULL));
    EXPECT(YZT_OK, yzt_seal_free(seal));
    EXPECT(YZT_OK, yzt_seal_free(NULL));
    EXPECT(YZT_OK, yzt_report_free(NULL));
    yzt_certificate_free(root);
    free(sv);
    free(doc);
}

/* ---- threads sharing handles -------------------------------------------------- */

#define THREADS 4
#define ROUNDS 5

/* ---- QR authorisation: the platform's verifier and the app's side ---- */

#define QR_CODE "C1100005553"
#define QR_NAME "FFI 交易平台"
#define QR_HOST "ffi.example.cn"

static YztPrivateKey *load_key(const char *name) {
    size_t n;
    uint8_t *data = read_file(fixtures, name, &n);
    YztPrivateKey *k = NULL;
    EXPECT(YZT_OK, yzt_private_key_import(data, n, &k));
    free(data);
    return k;
}

/* Whether `hay` (n bytes) contains the string `needle`. */
static int contains(const uint8_t *hay, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0) return 1;
    return 0;
}

struct qr_world {
    YztQrStore *store;
    YztQrVerifier *verifier;
    YztQrRegistry *registry;
    YztCertificate *good, *goodenc, *revoked, *platform;
    YztPrivateKey *good_key, *goodenc_key, *revoked_key, *platform_key;
    int64_t now;
    char holder[64];
};

/* Issue a challenge for `action` with `data`, scan it on the phone,
 * answer it as `cert`/`key`, and verify the answer at `verify_at`. Returns
 * the verification (caller frees); NULL on a failed step. */
static YztQrVerification *qr_round(struct qr_world *w, int32_t action, const uint8_t *data,
                                   size_t len, const YztCertificate *cert,
                                   const YztPrivateKey *key, const YztSeal *seal,
                                   int64_t verify_at) {
    YztQrChallenge *ch = NULL;
    YztQrScan *scan = NULL;
    YztBytes *resp = NULL;
    YztQrVerification *v = NULL;
    char text[1100];
    size_t n;
    const uint8_t *issue_data = data;
    size_t issue_len = len;
    uint8_t digest[32];
    if (action == YZT_QR_SEAL || action == YZT_QR_FILE_SIGN) {
        EXPECT(YZT_OK, yzt_sm3(data, len, digest, sizeof digest, &n));
        issue_data = digest;
        issue_len = sizeof digest;
    }
    EXPECT(YZT_OK, yzt_qr_verifier_issue(w->verifier, action, issue_data, issue_len, w->now, &ch));
    EXPECT(YZT_OK, yzt_qr_challenge_text(ch, YZT_QR_TEXT, text, sizeof text, &n));
    EXPECT(YZT_OK, yzt_qr_scan(text, w->registry, w->now + 5, &scan));
    int encrypting = action == YZT_QR_ENCRYPT || action == YZT_QR_DECRYPT;
    int32_t rc = yzt_qr_respond(scan, "13800000000", NULL, cert, key,
                                encrypting ? w->goodenc : NULL,
                                action == YZT_QR_DECRYPT ? w->goodenc_key : NULL,
                                encrypting && action != YZT_QR_DECRYPT ? NULL : data,
                                encrypting && action != YZT_QR_DECRYPT ? 0 : len, seal,
                                seal ? "page 1" : NULL, action == YZT_QR_FILE_SIGN, w->now + 6,
                                &resp);
    EXPECT(YZT_OK, rc);
    if (rc == YZT_OK) {
        const uint8_t *d;
        EXPECT(YZT_OK, yzt_bytes_data(resp, &d, &n));
        EXPECT(YZT_OK, yzt_qr_verifier_verify(w->verifier, d, n, verify_at, &v));
    }
    yzt_bytes_free(resp);
    yzt_qr_scan_free(scan);
    yzt_qr_challenge_free(ch);
    return v;
}

static int32_t reason_of(const YztQrVerification *v) {
    int32_t accepted = -1, reason = -1;
    if (yzt_qr_verification_result(v, &accepted, &reason) != YZT_OK) return -1;
    return accepted == (reason == 0) ? reason : -2;
}

static void test_qr(void) {
    struct qr_world w = {0};
    char buf[2048];
    size_t n;
    w.good = load_cert(fixtures, "good.pem");
    w.goodenc = load_cert(fixtures, "goodenc.pem");
    w.revoked = load_cert(fixtures, "revoked.pem");
    w.platform = load_cert(fixtures, "platform.pem");
    w.good_key = load_key("good.key.pem");
    w.goodenc_key = load_key("goodenc.key.pem");
    w.revoked_key = load_key("revoked.key.pem");
    w.platform_key = load_key("platform.key.pem");
    YztCertificate *root = load_cert(fixtures, "root/ca.cert.pem");
    YztCertificate *sub = load_cert(fixtures, "sub/ca.cert.pem");
    size_t ln;
    uint8_t *crl_pem = read_file(fixtures, "crl.pem", &ln);
    YztCrl *crl = NULL;
    EXPECT(YZT_OK, yzt_crl_parse(crl_pem, ln, &crl));
    free(crl_pem);
    uint8_t *esl = read_file(fixtures, "good.esl", &ln);
    YztSeal *seal = NULL;
    EXPECT(YZT_OK, yzt_seal_parse(esl, ln, &seal));
    free(esl);
    int64_t nb, na;
    EXPECT(YZT_OK, yzt_certificate_validity(w.good, &nb, &na));
    w.now = nb + 3600;
    const YztCertificate *anchors[] = {root};
    const YztCertificate *inter[] = {sub};
    const YztCrl *crls[] = {crl};

    /* the verifier and its store; refusals first */
    EXPECT(YZT_OK, yzt_qr_store_new(&w.store));
    YztQrVerifier *bad_v = (YztQrVerifier *)&w; /* overwritten with NULL on failure */
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST, w.platform_key,
                                                     NULL, 0, NULL, 0, NULL, 0, 0, w.store,
                                                     &bad_v));
    CHECK(bad_v == NULL);
    EXPECT(YZT_INVALID_PARAMETER, yzt_qr_verifier_new("C11", QR_NAME, QR_HOST, w.platform_key,
                                                      anchors, 1, NULL, 0, NULL, 0, 0, w.store,
                                                      &bad_v));
    EXPECT(YZT_INVALID_PARAMETER, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST, w.platform_key,
                                                      anchors, 1, NULL, 0, NULL, 0, 4000,
                                                      w.store, &bad_v));
    EXPECT(YZT_NULL_POINTER, yzt_qr_verifier_new(QR_CODE, NULL, QR_HOST, w.platform_key, anchors,
                                                 1, NULL, 0, NULL, 0, 0, w.store, &bad_v));
    EXPECT(YZT_INVALID_UTF8, yzt_qr_verifier_new(QR_CODE, "\xff\xfe", QR_HOST, w.platform_key,
                                                 anchors, 1, NULL, 0, NULL, 0, 0, w.store,
                                                 &bad_v));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST, w.platform_key,
                                                 anchors, 1, NULL, 0, NULL, 0, 0,
                                                 (const YztQrStore *)w.good, &bad_v));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST,
                                                 (const YztPrivateKey *)w.platform, anchors, 1,
                                                 NULL, 0, NULL, 0, 0, w.store, &bad_v));
    EXPECT(YZT_NULL_POINTER, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST, w.platform_key,
                                                 NULL, 1, NULL, 0, NULL, 0, 0, w.store, &bad_v));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST, w.platform_key,
                                                     anchors, HUGE_LEN, NULL, 0, NULL, 0, 0,
                                                     w.store, &bad_v));
    /* a name the phone could not show as written, a host that is not host[:port] */
    static const char *const bad_v_names[] = {"", "FFI \xe2\x80\xae" "nc.elpmaxe", "FFI\r\n"};
    for (size_t i = 0; i < sizeof bad_v_names / sizeof *bad_v_names; i++) {
        EXPECT(YZT_INVALID_PARAMETER,
               yzt_qr_verifier_new(QR_CODE, bad_v_names[i], QR_HOST, w.platform_key, anchors, 1,
                                   NULL, 0, NULL, 0, 0, w.store, &bad_v));
        CHECK(bad_v == NULL && last_error_has("platform name"));
    }
    static const char *const bad_v_hosts[] = {"", "https://" QR_HOST, QR_HOST ":0",
                                              "user@" QR_HOST};
    for (size_t i = 0; i < sizeof bad_v_hosts / sizeof *bad_v_hosts; i++) {
        EXPECT(YZT_INVALID_PARAMETER,
               yzt_qr_verifier_new(QR_CODE, QR_NAME, bad_v_hosts[i], w.platform_key, anchors, 1,
                                   NULL, 0, NULL, 0, 0, w.store, &bad_v));
        CHECK(bad_v == NULL && last_error_has("callback host"));
    }
    EXPECT(YZT_OK, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST, w.platform_key, anchors, 1,
                                       inter, 1, crls, 1, 0, w.store, &w.verifier));

    /* the holder's packages */
    EXPECT(YZT_OK, yzt_qr_holder(w.good, w.holder, sizeof w.holder, &n));
    CHECK(strcmp(w.holder, "110101199001011237") == 0);
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_qr_holder(w.good, buf, 3, &n));
    CHECK(n == strlen("110101199001011237") + 1);
    uint64_t left = 99;
    EXPECT(YZT_ABSENT, yzt_qr_store_quota(w.store, w.holder, QR_CODE, YZT_QR_INSTITUTION_CA,
                                          &left));
    EXPECT(YZT_OK, yzt_qr_store_set_quota(w.store, w.holder, QR_CODE, YZT_QR_INSTITUTION_CA, 10));
    EXPECT(YZT_OK, yzt_qr_store_set_quota(w.store, w.holder, QR_CODE, YZT_QR_INSTITUTION_SEAL,
                                          1));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_store_set_quota(w.store, w.holder, QR_CODE, 2, 1));
    EXPECT(YZT_INVALID_PARAMETER, yzt_qr_store_set_quota(w.store, "", QR_CODE,
                                                         YZT_QR_INSTITUTION_CA, 1));
    EXPECT(YZT_INVALID_PARAMETER, yzt_qr_store_set_quota(w.store, w.holder, "bad code",
                                                         YZT_QR_INSTITUTION_CA, 1));
    EXPECT(YZT_NULL_POINTER, yzt_qr_store_set_quota(w.store, NULL, QR_CODE,
                                                    YZT_QR_INSTITUTION_CA, 1));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_store_set_quota((const YztQrStore *)w.verifier, w.holder,
                                                    QR_CODE, YZT_QR_INSTITUTION_CA, 1));

    /* the app's registry */
    EXPECT(YZT_OK, yzt_qr_registry_new(&w.registry));
    const char *hosts[] = {QR_HOST};
    const char *bad_hosts[] = {QR_HOST, NULL};
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_registry_add(w.registry, QR_CODE, QR_NAME, w.platform,
                                                     hosts, 0));
    EXPECT(YZT_NULL_POINTER, yzt_qr_registry_add(w.registry, QR_CODE, QR_NAME, w.platform,
                                                 bad_hosts, 2));
    EXPECT(YZT_INVALID_PARAMETER, yzt_qr_registry_add(w.registry, "short", QR_NAME, w.platform,
                                                      hosts, 1));
    /* names the phone could not show as written (issue #17 item 9): empty, a right-to-left
     * override, a newline, padding, zero-width and BOM characters, C1, over 64 characters */
    static const char *const bad_names[] = {
        "",
        QR_NAME "\xe2\x80\xae",
        "\xe2\x80\xae" QR_NAME,
        QR_NAME "\n(official)",
        " " QR_NAME,
        QR_NAME " ",
        "FFI\xe2\x80\x8b" "platform",
        "\xef\xbb\xbf" QR_NAME,
        "FFI\xc2\x85" "platform",
        "FFI\xe2\x81\xa6" "platform",
        "12345678901234567890123456789012345678901234567890123456789012345",
    };
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        EXPECT(YZT_INVALID_PARAMETER,
               yzt_qr_registry_add(w.registry, QR_CODE, bad_names[i], w.platform, hosts, 1));
        CHECK(last_error_has("platform name"));
    }
    /* hosts that are not a plain host[:port] */
    static const char *const bad_host_list[] = {
        "", "http://" QR_HOST, QR_HOST "/login", "evil.cn@" QR_HOST, QR_HOST ":0",
        QR_HOST ":65536", "ffi example.cn", "::1", "[::1", "ffi_1.example.cn", "1.2.3.256",
    };
    for (size_t i = 0; i < sizeof bad_host_list / sizeof *bad_host_list; i++) {
        const char *one[] = {QR_HOST, bad_host_list[i]};
        EXPECT(YZT_INVALID_PARAMETER,
               yzt_qr_registry_add(w.registry, QR_CODE, QR_NAME, w.platform, one, 2));
        CHECK(last_error_has("callback host"));
    }
    {
        /* good ones, in a registry of their own (this one must stay empty for now) */
        YztQrRegistry *r2 = NULL;
        const char *good_hosts[] = {QR_HOST, "127.0.0.1:8080", "[::1]:8443", "localhost"};
        EXPECT(YZT_OK, yzt_qr_registry_new(&r2));
        EXPECT(YZT_OK, yzt_qr_registry_add(r2, QR_CODE, "\xe6\x96\xb0\xe7\x96\x86\xe5\x85\xac"
                                                        "\xe5\x85\xb1\xe8\xb5\x84\xe6\xba\x90"
                                                        "\xe4\xba\xa4\xe6\x98\x93\xe5\xb9\xb3"
                                                        "\xe5\x8f\xb0",
                                           w.platform, good_hosts, 4));
        EXPECT(YZT_OK, yzt_qr_registry_free(r2));
    }

    /* a login challenge: its fields, its text, its QR image */
    YztQrChallenge *ch = NULL, *decoded = NULL;
    EXPECT(YZT_OK, yzt_qr_verifier_issue(w.verifier, YZT_QR_LOGIN, NULL, 0, w.now, &ch));
    int64_t v64;
    EXPECT(YZT_OK, yzt_qr_challenge_int(ch, YZT_QR_ACTION, &v64));
    CHECK(v64 == YZT_QR_LOGIN);
    EXPECT(YZT_OK, yzt_qr_challenge_int(ch, YZT_QR_ISSUED_AT, &v64));
    CHECK(v64 == w.now);
    EXPECT(YZT_OK, yzt_qr_challenge_int(ch, YZT_QR_EXPIRES_AT, &v64));
    CHECK(v64 == w.now + 120);
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_challenge_int(ch, 3, &v64));
    EXPECT(YZT_OK, yzt_qr_challenge_text(ch, YZT_QR_PLATFORM_CODE, buf, sizeof buf, &n));
    CHECK(strcmp(buf, QR_CODE) == 0);
    EXPECT(YZT_OK, yzt_qr_challenge_text(ch, YZT_QR_CALLBACK_HOST, buf, sizeof buf, &n));
    CHECK(strcmp(buf, QR_HOST) == 0);
    EXPECT(YZT_OK, yzt_qr_challenge_text(ch, YZT_QR_ACTION_NAME, buf, sizeof buf, &n));
    CHECK(strcmp(buf, "login") == 0);
    char tid[40];
    EXPECT(YZT_OK, yzt_qr_challenge_text(ch, YZT_QR_TRANSACTION, tid, sizeof tid, &n));
    CHECK(n == 33);
    EXPECT(YZT_ABSENT, yzt_qr_challenge_text(ch, YZT_QR_DIGEST_HEX, buf, sizeof buf, &n));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_challenge_text(ch, 99, buf, sizeof buf, &n));
    char text[1100];
    EXPECT(YZT_OK, yzt_qr_challenge_text(ch, YZT_QR_TEXT, text, sizeof text, &n));
    EXPECT(YZT_INSUFFICIENT_SIZE, yzt_qr_challenge_text(ch, YZT_QR_TEXT, text, 8, &n));
    YztBytes *svg = NULL;
    EXPECT(YZT_OK, yzt_qr_challenge_svg(ch, &svg));
    const uint8_t *d;
    EXPECT(YZT_OK, yzt_bytes_data(svg, &d, &n));
    CHECK(n > 100 && contains(d, n, "<svg"));
    yzt_bytes_free(svg);
    EXPECT(YZT_OK, yzt_qr_challenge_decode(text, &decoded));
    EXPECT(YZT_OK, yzt_qr_challenge_text(decoded, YZT_QR_TRANSACTION, buf, sizeof buf, &n));
    CHECK(strcmp(buf, tid) == 0);
    YztPublicKey *platform_pub = NULL, *good_pub = NULL;
    EXPECT(YZT_OK, yzt_private_key_public_key(w.platform_key, &platform_pub));
    EXPECT(YZT_OK, yzt_private_key_public_key(w.good_key, &good_pub));
    EXPECT(YZT_OK, yzt_qr_challenge_verify(decoded, platform_pub));
    EXPECT(YZT_SIGNATURE_MISMATCH, yzt_qr_challenge_verify(decoded, good_pub));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_challenge_verify(decoded, (const YztPublicKey *)w.good));
    YztQrChallenge *bad_ch = NULL;
    EXPECT(YZT_MALFORMED, yzt_qr_challenge_decode("yzt:not a challenge", &bad_ch));
    EXPECT(YZT_INVALID_UTF8, yzt_qr_challenge_decode("\xc3\x28", &bad_ch));
    EXPECT(YZT_NULL_POINTER, yzt_qr_challenge_decode(NULL, &bad_ch));
    CHECK(bad_ch == NULL);
    /* a code altered after signing no longer verifies */
    size_t tl = strlen(text);
    text[tl - 3] = text[tl - 3] == 'A' ? 'B' : 'A';
    if (yzt_qr_challenge_decode(text, &bad_ch) == YZT_OK) {
        EXPECT(YZT_SIGNATURE_MISMATCH, yzt_qr_challenge_verify(bad_ch, platform_pub));
        yzt_qr_challenge_free(bad_ch);
    }
    yzt_qr_challenge_free(decoded);
    EXPECT(YZT_OK, yzt_qr_challenge_text(ch, YZT_QR_TEXT, text, sizeof text, &n));

    /* the phone: unknown platform, then registered with another host */
    YztQrScan *scan = NULL;
    EXPECT(YZT_NOT_FOUND, yzt_qr_scan(text, w.registry, w.now, &scan));
    const char *other_hosts[] = {"elsewhere.example.cn"};
    EXPECT(YZT_OK, yzt_qr_registry_add(w.registry, QR_CODE, QR_NAME, w.platform, other_hosts, 1));
    EXPECT(YZT_FORBIDDEN, yzt_qr_scan(text, w.registry, w.now, &scan));
    /* a registry that names another certificate: the signature is not the platform's */
    EXPECT(YZT_OK, yzt_qr_registry_add(w.registry, QR_CODE, QR_NAME, w.good, hosts, 1));
    EXPECT(YZT_FORBIDDEN, yzt_qr_scan(text, w.registry, w.now, &scan));
    EXPECT(YZT_OK, yzt_qr_registry_add(w.registry, QR_CODE, QR_NAME, w.platform, hosts, 1));
    EXPECT(YZT_INVALID_STATE, yzt_qr_scan(text, w.registry, w.now + 121, &scan));
    CHECK(scan == NULL);
    EXPECT(YZT_OK, yzt_qr_scan(text, w.registry, w.now + 5, &scan));
    EXPECT(YZT_OK, yzt_qr_scan_text(scan, YZT_QR_PLATFORM_NAME, buf, sizeof buf, &n));
    CHECK(strcmp(buf, QR_NAME) == 0);
    EXPECT(YZT_OK, yzt_qr_scan_text(scan, YZT_QR_ACTION_LABEL, buf, sizeof buf, &n));
    CHECK(strcmp(buf, "授权登录") == 0);
    EXPECT(YZT_OK, yzt_qr_scan_text(scan, YZT_QR_DISPLAY_TEXT, buf, sizeof buf, &n));
    CHECK(strstr(buf, QR_NAME) != NULL && strstr(buf, QR_CODE) != NULL);
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_scan_text(scan, 3, buf, sizeof buf, &n));
    YztQrChallenge *scanned = NULL;
    EXPECT(YZT_OK, yzt_qr_scan_challenge(scan, &scanned));
    EXPECT(YZT_OK, yzt_qr_challenge_text(scanned, YZT_QR_TRANSACTION, buf, sizeof buf, &n));
    CHECK(strcmp(buf, tid) == 0);
    yzt_qr_challenge_free(scanned);

    /* answering: refusals at the app, then the answer */
    YztBytes *resp = NULL;
    EXPECT(YZT_KEY_MISMATCH, yzt_qr_respond(scan, "13800000000", NULL, w.good, w.platform_key,
                                            NULL, NULL, NULL, 0, NULL, NULL, 0, w.now + 6, &resp));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_respond(scan, "13800000000", NULL, w.good, w.good_key,
                                                NULL, NULL, MSG, MSG_LEN, NULL, NULL, 0,
                                                w.now + 6, &resp));
    EXPECT(YZT_NULL_POINTER, yzt_qr_respond(scan, NULL, NULL, w.good, w.good_key, NULL, NULL,
                                            NULL, 0, NULL, NULL, 0, w.now + 6, &resp));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_respond((const YztQrScan *)ch, "13800000000", NULL, w.good,
                                            w.good_key, NULL, NULL, NULL, 0, NULL, NULL, 0,
                                            w.now + 6, &resp));
    CHECK(resp == NULL);
    EXPECT(YZT_OK, yzt_qr_respond(scan, "13800000000", NULL, w.good, w.good_key, NULL, NULL, NULL,
                                  0, NULL, NULL, 0, w.now + 6, &resp));
    const uint8_t *rd;
    size_t rn;
    EXPECT(YZT_OK, yzt_bytes_data(resp, &rd, &rn));

    /* the platform verifies: accepted once, charged once; the same response
       again (a retry) is told its verdict again, uncharged; another
       response for the used code is a replay, refused */
    YztQrVerification *v = NULL;
    EXPECT(YZT_NULL_POINTER, yzt_qr_verifier_verify(w.verifier, NULL, 5, w.now + 7, &v));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_verifier_verify(w.verifier, rd, HUGE_LEN, w.now + 7, &v));
    EXPECT(YZT_OK, yzt_qr_verifier_verify(w.verifier, rd, rn, w.now + 7, &v));
    CHECK(reason_of(v) == 0);
    EXPECT(YZT_OK, yzt_qr_verification_remaining(v, &left));
    CHECK(left == 9);
    YztCertificate *who = NULL;
    EXPECT(YZT_OK, yzt_qr_verification_certificate(v, &who));
    char serial[80], good_serial[80];
    EXPECT(YZT_OK, yzt_certificate_text(who, YZT_CERT_SERIAL_HEX, serial, sizeof serial, &n));
    EXPECT(YZT_OK, yzt_certificate_text(w.good, YZT_CERT_SERIAL_HEX, good_serial,
                                        sizeof good_serial, &n));
    CHECK(strcmp(serial, good_serial) == 0);
    yzt_certificate_free(who);
    YztBytes *outcome = NULL;
    int32_t act = -1;
    EXPECT(YZT_ABSENT, yzt_qr_verification_outcome(v, &act, &outcome));
    CHECK(outcome == NULL);
    EXPECT(YZT_OK, yzt_qr_verification_text(v, YZT_QR_ANSWER_JSON, buf, sizeof buf, &n));
    CHECK(strstr(buf, "\"verifySignatureResult\":true") != NULL);
    EXPECT(YZT_OK, yzt_qr_verification_text(v, YZT_QR_REASON_NAME, buf, sizeof buf, &n));
    CHECK(strcmp(buf, "ok") == 0);
    EXPECT(YZT_OK, yzt_qr_verification_text(v, YZT_QR_VERIFIED_TRANSACTION, buf, sizeof buf, &n));
    CHECK(strcmp(buf, tid) == 0);
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_verification_text(v, -1, buf, sizeof buf, &n));
    EXPECT(YZT_OK, yzt_qr_verification_free(v));
    EXPECT(YZT_OK, yzt_qr_verifier_verify(w.verifier, rd, rn, w.now + 8, &v));
    CHECK(reason_of(v) == 0);
    EXPECT(YZT_OK, yzt_qr_verification_remaining(v, &left));
    CHECK(left == 9);
    EXPECT(YZT_ABSENT, yzt_qr_verification_outcome(v, &act, &outcome));
    yzt_qr_verification_free(v);
    YztBytes *resp2 = NULL;
    EXPECT(YZT_OK, yzt_qr_respond(scan, "13800000000", NULL, w.good, w.good_key, NULL, NULL, NULL,
                                  0, NULL, NULL, 0, w.now + 6, &resp2));
    const uint8_t *rd2;
    size_t rn2;
    EXPECT(YZT_OK, yzt_bytes_data(resp2, &rd2, &rn2));
    CHECK(rn2 != rn || memcmp(rd2, rd, rn) != 0);
    EXPECT(YZT_OK, yzt_qr_verifier_verify(w.verifier, rd2, rn2, w.now + 8, &v));
    CHECK(reason_of(v) == 1004);
    EXPECT(YZT_OK, yzt_qr_verification_text(v, YZT_QR_REASON_NAME, buf, sizeof buf, &n));
    CHECK(strcmp(buf, "already_used") == 0);
    EXPECT(YZT_ABSENT, yzt_qr_verification_remaining(v, &left));
    EXPECT(YZT_ABSENT, yzt_qr_verification_certificate(v, &who));
    EXPECT(YZT_OK, yzt_qr_verification_text(v, YZT_QR_ANSWER_JSON, buf, sizeof buf, &n));
    CHECK(strstr(buf, "\"reasonCode\":1004") != NULL);
    yzt_qr_verification_free(v);
    yzt_bytes_free(resp2);
    EXPECT(YZT_OK, yzt_qr_store_quota(w.store, w.holder, QR_CODE, YZT_QR_INSTITUTION_CA, &left));
    CHECK(left == 9);
    YztBytes *records = NULL;
    EXPECT(YZT_OK, yzt_qr_store_records_json(w.store, &records));
    EXPECT(YZT_OK, yzt_bytes_data(records, &d, &n));
    CHECK(contains(d, n, w.holder) && contains(d, n, tid));
    yzt_bytes_free(records);
    yzt_bytes_free(resp);
    yzt_qr_scan_free(scan);
    yzt_qr_challenge_free(ch);

    /* garbage is answered, not refused */
    EXPECT(YZT_OK, yzt_qr_verifier_verify(w.verifier, MSG, MSG_LEN, w.now, &v));
    CHECK(reason_of(v) == 1001);
    EXPECT(YZT_ABSENT, yzt_qr_verification_text(v, YZT_QR_VERIFIED_TRANSACTION, buf, sizeof buf,
                                                &n));
    EXPECT(YZT_OK, yzt_qr_verification_text(v, YZT_QR_DETAIL, buf, sizeof buf, &n));
    CHECK(n > 1);
    yzt_qr_verification_free(v);

    /* stale: answered in time, arrived after expiry */
    v = qr_round(&w, YZT_QR_LOGIN, NULL, 0, w.good, w.good_key, NULL, w.now + 500);
    CHECK(v && reason_of(v) == 1008);
    yzt_qr_verification_free(v);
    /* revoked by the CRL */
    v = qr_round(&w, YZT_QR_LOGIN, NULL, 0, w.revoked, w.revoked_key, NULL, w.now + 7);
    CHECK(v && reason_of(v) == 1013);
    yzt_qr_verification_free(v);

    /* every other action, with what it hands over */
    static const uint8_t DOC[] = "tender document, page 1";
    v = qr_round(&w, YZT_QR_SEAL, DOC, sizeof DOC - 1, w.good, w.good_key, seal, w.now + 7);
    CHECK(v && reason_of(v) == 0);
    if (v && reason_of(v) != 0) {
        yzt_qr_verification_text(v, YZT_QR_DETAIL, buf, sizeof buf, &n);
        fprintf(stderr, "seal refused: %d %s\n", reason_of(v), buf);
    }
    EXPECT(YZT_OK, yzt_qr_verification_outcome(v, &act, &outcome));
    CHECK(act == YZT_QR_SEAL);
    EXPECT(YZT_OK, yzt_bytes_data(outcome, &d, &n));
    YztSealSignature *stamped = NULL;
    EXPECT(YZT_OK, yzt_seal_signature_parse(d, n, &stamped));
    yzt_seal_signature_free(stamped);
    yzt_bytes_free(outcome);
    yzt_qr_verification_free(v);
    /* the seal package had one use */
    v = qr_round(&w, YZT_QR_SEAL, DOC, sizeof DOC - 1, w.good, w.good_key, seal, w.now + 7);
    CHECK(v && reason_of(v) == 1018);
    yzt_qr_verification_free(v);

    v = qr_round(&w, YZT_QR_ENCRYPT, NULL, 0, w.good, w.good_key, NULL, w.now + 7);
    CHECK(v && reason_of(v) == 0);
    EXPECT(YZT_OK, yzt_qr_verification_outcome(v, &act, &outcome));
    CHECK(act == YZT_QR_ENCRYPT);
    EXPECT(YZT_OK, yzt_bytes_data(outcome, &d, &n));
    YztCertificate *enc = NULL;
    EXPECT(YZT_OK, yzt_certificate_parse(d, n, &enc));
    EXPECT(YZT_OK, yzt_certificate_text(enc, YZT_CERT_SERIAL_HEX, serial, sizeof serial, &n));
    EXPECT(YZT_OK, yzt_certificate_text(w.goodenc, YZT_CERT_SERIAL_HEX, good_serial,
                                        sizeof good_serial, &n));
    CHECK(strcmp(serial, good_serial) == 0);
    yzt_certificate_free(enc);
    yzt_bytes_free(outcome);
    yzt_qr_verification_free(v);

    static const uint8_t DOC_KEY[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    YztPublicKey *enc_pub = NULL;
    YztBytes *envelope = NULL;
    EXPECT(YZT_OK, yzt_private_key_public_key(w.goodenc_key, &enc_pub));
    EXPECT(YZT_OK, yzt_encrypt(enc_pub, DOC_KEY, sizeof DOC_KEY, YZT_CT_ASN1, &envelope));
    const uint8_t *env;
    size_t env_len;
    EXPECT(YZT_OK, yzt_bytes_data(envelope, &env, &env_len));
    v = qr_round(&w, YZT_QR_DECRYPT, env, env_len, w.good, w.good_key, NULL, w.now + 7);
    CHECK(v && reason_of(v) == 0);
    EXPECT(YZT_OK, yzt_qr_verification_outcome(v, &act, &outcome));
    CHECK(act == YZT_QR_DECRYPT);
    EXPECT(YZT_OK, yzt_bytes_data(outcome, &d, &n));
    CHECK(n == sizeof DOC_KEY && memcmp(d, DOC_KEY, n) == 0);
    yzt_bytes_free(outcome);
    yzt_qr_verification_free(v);
    yzt_bytes_free(envelope);
    yzt_public_key_free(enc_pub);

    v = qr_round(&w, YZT_QR_FILE_SIGN, DOC, sizeof DOC - 1, w.good, w.good_key, NULL, w.now + 7);
    CHECK(v && reason_of(v) == 0);
    EXPECT(YZT_OK, yzt_qr_verification_outcome(v, &act, &outcome));
    CHECK(act == YZT_QR_FILE_SIGN);
    EXPECT(YZT_OK, yzt_bytes_data(outcome, &d, &n));
    CHECK(n > 200 && d[0] == 0x30);
    yzt_bytes_free(outcome);
    yzt_qr_verification_free(v);

    v = qr_round(&w, YZT_QR_MSG_SIGN, MSG, MSG_LEN, w.good, w.good_key, NULL, w.now + 7);
    CHECK(v && reason_of(v) == 0);
    EXPECT(YZT_OK, yzt_qr_verification_outcome(v, &act, &outcome));
    CHECK(act == YZT_QR_MSG_SIGN);
    EXPECT(YZT_OK, yzt_bytes_data(outcome, &d, &n));
    EXPECT(YZT_OK, yzt_verify(good_pub, NULL, 0, MSG, MSG_LEN, d, n, YZT_SIG_DER));
    yzt_bytes_free(outcome);
    yzt_qr_verification_free(v);

    /* issuing: what each action takes */
    YztQrChallenge *c2 = NULL;
    uint8_t digest[32] = {0};
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_verifier_issue(w.verifier, 0, NULL, 0, w.now, &c2));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_verifier_issue(w.verifier, 7, NULL, 0, w.now, &c2));
    EXPECT(YZT_UNKNOWN_VALUE, yzt_qr_verifier_issue(w.verifier, 258, NULL, 0, w.now, &c2));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_verifier_issue(w.verifier, YZT_QR_LOGIN, digest, 32,
                                                       w.now, &c2));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_verifier_issue(w.verifier, YZT_QR_SEAL, NULL, 0, w.now,
                                                       &c2));
    EXPECT(YZT_INVALID_LENGTH, yzt_qr_verifier_issue(w.verifier, YZT_QR_FILE_SIGN, digest, 31,
                                                     w.now, &c2));
    EXPECT(YZT_NULL_POINTER, yzt_qr_verifier_issue(w.verifier, YZT_QR_SEAL, NULL, 32, w.now,
                                                   &c2));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_verifier_issue((const YztQrVerifier *)w.store, YZT_QR_LOGIN,
                                                   NULL, 0, w.now, &c2));
    CHECK(c2 == NULL);
    EXPECT(YZT_OK, yzt_qr_verifier_issue(w.verifier, YZT_QR_SEAL, digest, 32, w.now, &c2));
    EXPECT(YZT_OK, yzt_qr_challenge_text(c2, YZT_QR_DIGEST_HEX, buf, sizeof buf, &n));
    CHECK(n == 65 && strspn(buf, "0") == 64);
    yzt_qr_challenge_free(c2);

    /* the app refuses material that is not what the code asked for */
    EXPECT(YZT_OK, yzt_sm3(DOC, sizeof DOC - 1, digest, sizeof digest, &n));
    EXPECT(YZT_OK, yzt_qr_verifier_issue(w.verifier, YZT_QR_SEAL, digest, 32, w.now, &c2));
    EXPECT(YZT_OK, yzt_qr_challenge_text(c2, YZT_QR_TEXT, text, sizeof text, &n));
    EXPECT(YZT_OK, yzt_qr_scan(text, w.registry, w.now, &scan));
    EXPECT(YZT_INVALID_PARAMETER, yzt_qr_respond(scan, "13800000000", NULL, w.good, w.good_key,
                                                 NULL, NULL, MSG, MSG_LEN, seal, "p1", 0, w.now,
                                                 &resp));
    EXPECT(YZT_NULL_POINTER, yzt_qr_respond(scan, "13800000000", NULL, w.good, w.good_key, NULL,
                                            NULL, DOC, sizeof DOC - 1, NULL, "p1", 0, w.now,
                                            &resp));
    EXPECT(YZT_INVALID_ARGUMENT, yzt_qr_respond(scan, "13800000000", NULL, w.good, w.good_key,
                                                NULL, NULL, NULL, 0, seal, "p1", 0, w.now,
                                                &resp));
    CHECK(resp == NULL);
    yzt_qr_scan_free(scan);
    yzt_qr_challenge_free(c2);

    /* the CA package ran out */
    EXPECT(YZT_OK, yzt_qr_store_set_quota(w.store, w.holder, QR_CODE, YZT_QR_INSTITUTION_CA, 0));
    v = qr_round(&w, YZT_QR_LOGIN, NULL, 0, w.good, w.good_key, NULL, w.now + 7);
    CHECK(v && reason_of(v) == 1018);
    yzt_qr_verification_free(v);

    /* frees: NULL accepted, wrong types refused */
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_store_free((YztQrStore *)w.verifier));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_verifier_free((YztQrVerifier *)w.store));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_challenge_free((YztQrChallenge *)w.registry));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_registry_free((YztQrRegistry *)w.good));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_scan_free((YztQrScan *)w.good));
    EXPECT(YZT_WRONG_HANDLE, yzt_qr_verification_free((YztQrVerification *)w.good));
    EXPECT(YZT_OK, yzt_qr_challenge_free(NULL));
    EXPECT(YZT_OK, yzt_qr_store_free(NULL));
    EXPECT(YZT_OK, yzt_qr_verifier_free(NULL));
    EXPECT(YZT_OK, yzt_qr_verification_free(NULL));
    EXPECT(YZT_OK, yzt_qr_registry_free(NULL));
    EXPECT(YZT_OK, yzt_qr_scan_free(NULL));
    /* the verifier keeps the store alive after the store's handle is freed */
    EXPECT(YZT_OK, yzt_qr_store_free(w.store));
    w.store = NULL;
    EXPECT(YZT_OK, yzt_qr_verifier_issue(w.verifier, YZT_QR_LOGIN, NULL, 0, w.now, &c2));
    yzt_qr_challenge_free(c2);

    yzt_public_key_free(platform_pub);
    yzt_public_key_free(good_pub);
    yzt_seal_free(seal);
    yzt_crl_free(crl);
    yzt_certificate_free(root);
    yzt_certificate_free(sub);
    EXPECT(YZT_OK, yzt_qr_verifier_free(w.verifier));
    EXPECT(YZT_OK, yzt_qr_registry_free(w.registry));
    yzt_certificate_free(w.good);
    yzt_certificate_free(w.goodenc);
    yzt_certificate_free(w.revoked);
    yzt_certificate_free(w.platform);
    yzt_private_key_free(w.good_key);
    yzt_private_key_free(w.goodenc_key);
    yzt_private_key_free(w.revoked_key);
    yzt_private_key_free(w.platform_key);
}

struct shared {
    const YztVerifier *verifier;
    const YztPublicKey *pub;
    const YztContainer *container;
    uint8_t sig[YZT_SIGNATURE_MAX_LEN];
    size_t sig_len;
    int errors;
};

static void *worker(void *arg) {
    struct shared *s = arg;
    int errors = 0;
    for (int i = 0; i < ROUNDS; i++) {
        if (yzt_verifier_verify(s->verifier, MSG, MSG_LEN, s->sig, s->sig_len, YZT_SIG_DER) !=
            YZT_OK)
            errors++;
        if (yzt_verifier_verify(s->verifier, MSG, MSG_LEN - 1, s->sig, s->sig_len, YZT_SIG_DER) !=
            YZT_SIGNATURE_MISMATCH)
            errors++;
        /* each thread has its own last error */
        char m[256];
        size_t n;
        if (yzt_last_error_message(m, sizeof m, &n) != YZT_OK || strstr(m, "verify") == NULL)
            errors++;
        if (yzt_verify(s->pub, NULL, 0, MSG, MSG_LEN, s->sig, s->sig_len, YZT_SIG_DER) != YZT_OK)
            errors++;
        uint32_t left;
        if (yzt_container_remaining_attempts(s->container, &left) != YZT_OK) errors++;
    }
    s->errors += 0; /* written only by the main thread after join */
    return (void *)(intptr_t)errors;
}

/* Wrong PINs from many threads on one container handle: the handle's lock
 * makes them take turns, so together they get exactly the limit; the tries
 * left, read from each thread's own error message, are told once each. */
#define PIN_THREADS 12
#define PIN_LIMIT 6

struct pin_try {
    const YztContainer *container;
    int32_t rc;
    int left;
};

static void *pin_worker(void *arg) {
    struct pin_try *t = arg;
    YztPrivateKey *k = NULL;
    t->rc = yzt_container_unlock(t->container, "000000", &k);
    t->left = -1;
    char m[256];
    size_t n;
    if (t->rc == YZT_WRONG_PIN && yzt_last_error_message(m, sizeof m, &n) == YZT_OK) {
        const char *p = strstr(m, "wrong PIN, ");
        if (p) t->left = atoi(p + strlen("wrong PIN, "));
    }
    yzt_private_key_free(k);
    return NULL;
}

static void test_container_threads(void) {
    YztPrivateKey *key = NULL, *opened = NULL;
    YztContainer *c = NULL;
    EXPECT(YZT_OK, yzt_private_key_generate(&key));
    EXPECT(YZT_OK, yzt_container_create(key, "123456", "123456", 5000, PIN_LIMIT, &c));
    struct pin_try tries[PIN_THREADS];
    pthread_t t[PIN_THREADS];
    for (int i = 0; i < PIN_THREADS; i++) {
        tries[i].container = c;
        CHECK(pthread_create(&t[i], NULL, pin_worker, &tries[i]) == 0);
    }
    for (int i = 0; i < PIN_THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
    int told[PIN_LIMIT] = {0}, locked = 0, other = 0;
    for (int i = 0; i < PIN_THREADS; i++) {
        if (tries[i].rc == YZT_WRONG_PIN && tries[i].left >= 0 && tries[i].left < PIN_LIMIT)
            told[tries[i].left]++;
        else if (tries[i].rc == YZT_CONTAINER_LOCKED)
            locked++;
        else
            other++;
    }
    for (int i = 0; i < PIN_LIMIT; i++) CHECK(told[i] == 1);
    CHECK(locked == PIN_THREADS - PIN_LIMIT);
    CHECK(other == 0);
    uint32_t left = 99;
    EXPECT(YZT_OK, yzt_container_remaining_attempts(c, &left));
    CHECK(left == 0);
    EXPECT(YZT_CONTAINER_LOCKED, yzt_container_unlock(c, "123456", &opened));
    CHECK(opened == NULL);
    yzt_container_free(c);
    yzt_private_key_free(key);
}

static void test_threads(void) {
    YztPrivateKey *key = NULL;
    YztPublicKey *pub = NULL;
    YztVerifier *v = NULL;
    YztContainer *c = NULL;
    struct shared s = {0};
    EXPECT(YZT_OK, yzt_private_key_generate(&key));
    EXPECT(YZT_OK, yzt_private_key_public_key(key, &pub));
    EXPECT(YZT_OK, yzt_verifier_new(pub, NULL, 0, &v));
    EXPECT(YZT_OK, yzt_container_create(key, "123456", "123456", 1000, 6, &c));
    EXPECT(YZT_OK, yzt_sign(key, NULL, 0, MSG, MSG_LEN, YZT_SIG_DER, s.sig, sizeof s.sig,
                            &s.sig_len));
    s.verifier = v;
    s.pub = pub;
    s.container = c;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, &s) == 0);
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        CHECK(pthread_join(t[i], &ret) == 0);
        CHECK(ret == NULL);
    }
    yzt_verifier_free(v);
    yzt_container_free(c);
    yzt_public_key_free(pub);
    yzt_private_key_free(key);
}

/* Threads sharing one QR verifier (and its store): every authorisation
 * is charged exactly once, the package never goes below zero, and each
 * thread's replay is refused. */
#define QR_ROUNDS 12
#define QR_QUOTA (THREADS * QR_ROUNDS - 7)

struct qr_counts {
    struct qr_world *w;
    int accepted, exhausted, replays, errors;
};

static void *qr_worker(void *arg) {
    struct qr_counts *c = arg;
    for (int i = 0; i < QR_ROUNDS; i++) {
        YztQrVerification *v =
            qr_round(c->w, YZT_QR_LOGIN, NULL, 0, c->w->good, c->w->good_key, NULL, c->w->now + 7);
        int32_t r = v ? reason_of(v) : -1;
        if (r == 0)
            c->accepted++;
        else if (r == 1018)
            c->exhausted++;
        else
            c->errors++;
        yzt_qr_verification_free(v);
    }
    /* a retry of an answered code's response, from this thread: its
       verdict again */
    YztQrChallenge *ch = NULL;
    YztQrScan *scan = NULL;
    YztBytes *resp = NULL;
    YztQrVerification *v1 = NULL, *v2 = NULL;
    char text[1100];
    size_t n;
    const uint8_t *d;
    if (yzt_qr_verifier_issue(c->w->verifier, YZT_QR_LOGIN, NULL, 0, c->w->now, &ch) != YZT_OK ||
        yzt_qr_challenge_text(ch, YZT_QR_TEXT, text, sizeof text, &n) != YZT_OK ||
        yzt_qr_scan(text, c->w->registry, c->w->now, &scan) != YZT_OK ||
        yzt_qr_respond(scan, "13800000000", NULL, c->w->good, c->w->good_key, NULL, NULL, NULL, 0,
                       NULL, NULL, 0, c->w->now, &resp) != YZT_OK ||
        yzt_bytes_data(resp, &d, &n) != YZT_OK ||
        yzt_qr_verifier_verify(c->w->verifier, d, n, c->w->now + 1, &v1) != YZT_OK ||
        yzt_qr_verifier_verify(c->w->verifier, d, n, c->w->now + 2, &v2) != YZT_OK)
        c->errors++;
    else {
        int32_t first = reason_of(v1);
        if (first == 0)
            c->accepted++;
        else if (first == 1018)
            c->exhausted++;
        else
            c->errors++;
        if (reason_of(v2) == first) c->replays++;
    }
    yzt_qr_verification_free(v1);
    yzt_qr_verification_free(v2);
    yzt_bytes_free(resp);
    yzt_qr_scan_free(scan);
    yzt_qr_challenge_free(ch);
    return NULL;
}

static void test_qr_threads(void) {
    struct qr_world w = {0};
    size_t n;
    w.good = load_cert(fixtures, "good.pem");
    w.platform = load_cert(fixtures, "platform.pem");
    w.good_key = load_key("good.key.pem");
    w.platform_key = load_key("platform.key.pem");
    YztCertificate *root = load_cert(fixtures, "root/ca.cert.pem");
    YztCertificate *sub = load_cert(fixtures, "sub/ca.cert.pem");
    int64_t nb, na;
    EXPECT(YZT_OK, yzt_certificate_validity(w.good, &nb, &na));
    w.now = nb + 3600;
    const YztCertificate *anchors[] = {root};
    const YztCertificate *inter[] = {sub};
    const char *hosts[] = {QR_HOST};
    EXPECT(YZT_OK, yzt_qr_store_new(&w.store));
    EXPECT(YZT_OK, yzt_qr_verifier_new(QR_CODE, QR_NAME, QR_HOST, w.platform_key, anchors, 1,
                                       inter, 1, NULL, 0, 0, w.store, &w.verifier));
    EXPECT(YZT_OK, yzt_qr_registry_new(&w.registry));
    EXPECT(YZT_OK, yzt_qr_registry_add(w.registry, QR_CODE, QR_NAME, w.platform, hosts, 1));
    EXPECT(YZT_OK, yzt_qr_holder(w.good, w.holder, sizeof w.holder, &n));
    EXPECT(YZT_OK, yzt_qr_store_set_quota(w.store, w.holder, QR_CODE, YZT_QR_INSTITUTION_CA,
                                          QR_QUOTA + THREADS));
    struct qr_counts counts[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        counts[i] = (struct qr_counts){.w = &w};
        CHECK(pthread_create(&t[i], NULL, qr_worker, &counts[i]) == 0);
    }
    int accepted = 0, exhausted = 0, replays = 0, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        accepted += counts[i].accepted;
        exhausted += counts[i].exhausted;
        replays += counts[i].replays;
        errors += counts[i].errors;
    }
    /* exactly the package's uses were charged, the rest refused */
    uint64_t left = 99;
    EXPECT(YZT_OK, yzt_qr_store_quota(w.store, w.holder, QR_CODE, YZT_QR_INSTITUTION_CA, &left));
    CHECK(errors == 0);
    CHECK(replays == THREADS);
    CHECK(accepted == QR_QUOTA + THREADS);
    CHECK(exhausted == 7);
    CHECK(left == 0);
    yzt_qr_verifier_free(w.verifier);
    yzt_qr_registry_free(w.registry);
    yzt_qr_store_free(w.store);
    yzt_certificate_free(root);
    yzt_certificate_free(sub);
    yzt_certificate_free(w.good);
    yzt_certificate_free(w.platform);
    yzt_private_key_free(w.good_key);
    yzt_private_key_free(w.platform_key);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s VECTORS_DIR FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    vectors = argv[1];
    fixtures = argv[2];
    test_conventions();
    test_keys();
    test_sign();
    test_encrypt();
    test_hash();
    test_sm4();
    test_container();
    test_cert();
    test_seal();
    test_threads();
    test_container_threads();
    test_qr();
    test_qr_threads();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
