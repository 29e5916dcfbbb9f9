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
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
