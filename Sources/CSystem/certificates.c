/* Deferred CA certificates.
 *
 * Debian's libgit2 is built with mbedTLS, whose start-up (git_libgit2_init) parses the system's whole CA bundle:
 * 52 million instructions, about 6 ms, half of what a git aee command costs before it does anything, paid by every
 * command although almost none opens a TLS connection. This definition of mbedTLS's parse function comes first in
 * the process's symbol lookup (an executable's own symbols do), so libgit2's call reaches it: while git aee
 * initialises libgit2 it only notes the bundle's path; before a remote is reached, aee_git_load_certificates (in the
 * CLibGit2 shim) has libgit2 load that path for real through GIT_OPT_SET_SSL_CERT_LOCATIONS, which calls this again
 * with deferral off, and that call goes on to mbedTLS's own function. A libgit2 built with OpenSSL never calls it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "csystem.h"

static int deferring = 0;
static char *deferred_path = NULL;

__attribute__((visibility("default")))
int mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    if (deferring) {
        free(deferred_path);
        deferred_path = path ? strdup(path) : NULL;
        return 0;
    }
    int (*parse)(void *, const char *) = (int (*)(void *, const char *))dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
    /* -0x2900, MBEDTLS_ERR_X509_FILE_IO_ERROR: what mbedTLS answers for a file it cannot read. */
    return parse ? parse(chain, path) : -0x2900;
}

void aee_defer_certificates(int defer) {
    deferring = defer;
}

const char *aee_deferred_certificates(void) {
    return deferred_path;
}
