/*
 * Sign a file with an SM2 key and verify the signature: the example to
 * copy. Reads the key as PKCS#8 or SEC1 PEM/DER (what `yzt key gen` or
 * `openssl genpkey -algorithm SM2` writes); signatures are DER with the
 * default user ID 1234567812345678, what `yzt verify` and OpenSSL check.
 *
 *   sign_file sign   KEY.pem FILE SIG     writes SIG
 *   sign_file verify PUB.pem FILE SIG     exit 0 valid, 1 invalid, 2 error
 *
 * Build: gcc sign_file.c -I include -L target/release -lyizhengtong_ffi
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yizhengtong.h"

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Print the failing call's result code and the library's detailed message. */
static int fail(const char *what, int32_t rc) {
    char msg[512];
    size_t n;
    if (yzt_last_error_message(msg, sizeof msg, &n) != YZT_OK) msg[0] = '\0';
    fprintf(stderr, "%s: result %d: %s\n", what, rc, msg);
    return 2;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[1], "sign") != 0 && strcmp(argv[1], "verify") != 0)) {
        fprintf(stderr, "usage: %s sign|verify KEY FILE SIG\n", argv[0]);
        return 2;
    }
    size_t key_len, file_len, sig_len;
    uint8_t *key_pem = slurp(argv[2], &key_len), *file = slurp(argv[3], &file_len);
    if (!key_pem || !file) {
        fprintf(stderr, "cannot read %s or %s\n", argv[2], argv[3]);
        return 2;
    }
    int status = 0;
    int32_t rc;
    if (strcmp(argv[1], "sign") == 0) {
        YztPrivateKey *key = NULL;
        uint8_t sig[YZT_SIGNATURE_MAX_LEN];
        if ((rc = yzt_private_key_import(key_pem, key_len, &key)) != YZT_OK) {
            status = fail("reading the key", rc);
        } else if ((rc = yzt_sign(key, NULL, 0, file, file_len, YZT_SIG_DER, sig, sizeof sig,
                                  &sig_len)) != YZT_OK) {
            status = fail("signing", rc);
        } else {
            FILE *out = fopen(argv[4], "wb");
            if (!out || fwrite(sig, 1, sig_len, out) != sig_len || fclose(out) != 0) {
                fprintf(stderr, "cannot write %s\n", argv[4]);
                status = 2;
            }
        }
        yzt_private_key_free(key); /* wipes the key */
    } else {
        YztPublicKey *pub = NULL;
        uint8_t *sig = slurp(argv[4], &sig_len);
        if (!sig) {
            fprintf(stderr, "cannot read %s\n", argv[4]);
            status = 2;
        } else if ((rc = yzt_public_key_import(key_pem, key_len, &pub)) != YZT_OK) {
            status = fail("reading the public key", rc);
        } else {
            rc = yzt_verify(pub, NULL, 0, file, file_len, sig, sig_len, YZT_SIG_DER);
            if (rc == YZT_OK) {
                puts("valid");
            } else if (rc == YZT_SIGNATURE_MISMATCH) {
                puts("invalid");
                status = 1;
            } else {
                status = fail("verifying", rc);
            }
        }
        yzt_public_key_free(pub);
        free(sig);
    }
    free(key_pem);
    free(file);
    return status;
}
