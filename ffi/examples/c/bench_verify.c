/*
 * Time a verify call from C through the shared library, for BENCHMARKS.md
 * (compare with `cargo run --release -p yizhengtong-ffi --example
 * bench_verify`, which times the Rust call on the same work).
 *
 *   bench_verify [SECONDS]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "yizhengtong.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t MSG[] = "bid document: the overhead of the C boundary";
#define MSG_LEN (sizeof MSG - 1)

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    YztPrivateKey *key = NULL;
    YztPublicKey *pub = NULL;
    YztVerifier *v = NULL;
    uint8_t sig[YZT_SIGNATURE_MAX_LEN];
    size_t sig_len;
    if (yzt_private_key_generate(&key) || yzt_private_key_public_key(key, &pub) ||
        yzt_verifier_new(pub, NULL, 0, &v) ||
        yzt_sign(key, NULL, 0, MSG, MSG_LEN, YZT_SIG_DER, sig, sizeof sig, &sig_len)) {
        fprintf(stderr, "set-up failed\n");
        return 1;
    }
    for (int which = 0; which < 3; which++) {
        long n = 0;
        double start = now(), end;
        do {
            for (int i = 0; i < 100; i++) {
                uint8_t digest[YZT_SM3_LEN];
                size_t digest_len;
                int32_t rc = which == 0   ? yzt_verify(pub, NULL, 0, MSG, MSG_LEN, sig, sig_len,
                                                       YZT_SIG_DER)
                             : which == 1 ? yzt_verifier_verify(v, MSG, MSG_LEN, sig, sig_len,
                                                                YZT_SIG_DER)
                                          : yzt_sm3(MSG, MSG_LEN, digest, sizeof digest,
                                                    &digest_len);
                if (rc != YZT_OK) return 1;
            }
            n += 100;
            end = now();
        } while (end - start < seconds);
        printf("%-44s %9.2f µs/call  (%ld calls)\n",
               which == 0   ? "C program: yzt_verify"
               : which == 1 ? "C program: yzt_verifier_verify (prepared)"
                            : "C program: yzt_sm3 (45 bytes)",
               (end - start) * 1e6 / (double)n, n);
    }
    yzt_verifier_free(v);
    yzt_public_key_free(pub);
    yzt_private_key_free(key);
    return 0;
}
