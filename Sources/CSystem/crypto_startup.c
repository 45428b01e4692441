/* libgit2's cryptography, set up when first used.
 *
 * git_libgit2_init seeds mbedTLS's random generator (initialising its entropy sources, HAVEGE among them, costs a
 * million instructions) and initialises libssh2, which has OpenSSL load its built-in engines (another million): about
 * 0.6 ms of every git aee command, of which almost none opens a connection. The link wraps these calls (Package.swift:
 * `--wrap`), so libgit2's reach these instead: the entropy context and the seeding are noted and done, for real, when
 * mbedTLS first asks the generator for random bytes (a TLS handshake); libssh2 initialises itself when libgit2 opens
 * its first ssh session (libssh2_session_init_ex does), so libgit2's own early call is answered without it. */
#include <pthread.h>
#include <stddef.h>

void __real_mbedtls_entropy_init(void *context);
int __real_mbedtls_ctr_drbg_seed(void *context, int (*entropy)(void *, unsigned char *, size_t), void *source,
                                 const unsigned char *custom, size_t length);
int __real_mbedtls_ctr_drbg_random(void *context, unsigned char *output, size_t length);

static void *entropy_context = NULL;
static struct {
    void *context;
    int (*entropy)(void *, unsigned char *, size_t);
    void *source;
    const unsigned char *custom;
    size_t length;
} seeding;
static pthread_once_t seeded = PTHREAD_ONCE_INIT;
static int seed_result = 0;

void __wrap_mbedtls_entropy_init(void *context) {
    entropy_context = context;
}

int __wrap_mbedtls_ctr_drbg_seed(void *context, int (*entropy)(void *, unsigned char *, size_t), void *source,
                                 const unsigned char *custom, size_t length) {
    seeding.context = context;
    seeding.entropy = entropy;
    seeding.source = source;
    seeding.custom = custom;
    seeding.length = length;
    return 0;
}

static void seed(void) {
    if (entropy_context) __real_mbedtls_entropy_init(entropy_context);
    if (seeding.context) seed_result = __real_mbedtls_ctr_drbg_seed(seeding.context, seeding.entropy, seeding.source, seeding.custom, seeding.length);
}

int __wrap_mbedtls_ctr_drbg_random(void *context, unsigned char *output, size_t length) {
    pthread_once(&seeded, seed);
    return seed_result ? seed_result : __real_mbedtls_ctr_drbg_random(context, output, length);
}

int __wrap_libssh2_init(int flags) {
    (void)flags;
    return 0;
}
