/* Deferred CA certificates.
 *
 * Debian's libgit2 is built with mbedTLS, whose start-up (git_libgit2_init) parses the system's whole CA bundle:
 * 52 million instructions, about 6 ms, half of what a git aee command costs before it does anything, paid by every
 * command although almost none opens a TLS connection. This definition of mbedTLS's parse function comes first in
 * the process's symbol lookup (an executable's own symbols do), so libgit2's call reaches it: while git aee
 * initialises libgit2 it only notes the bundle's path; before a remote is reached, aee_git_load_certificates (in the
 * CLibGit2 shim) has libgit2 load that path for real through GIT_OPT_SET_SSL_CERT_LOCATIONS, which calls this again
 * with deferral off, and that call goes on to mbedTLS's own function. A libgit2 built with OpenSSL never calls it.
 * A libgit2 whose default is a directory of certificates parses it with mbedTLS's path function, deferred the same
 * way (that function parses each file through the file function, which must not be deferred then). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "csystem.h"

static int deferring = 0;
static char *deferred_file = NULL;
static char *deferred_directory = NULL;

/* While deferring, notes `path` in `*noted`; else calls mbedTLS's own `function`. */
static int parse_or_defer(const char *function, char **noted, void *chain, const char *path) {
    if (deferring) {
        free(*noted);
        *noted = path ? strdup(path) : NULL;
        return 0;
    }
    int (*parse)(void *, const char *) = (int (*)(void *, const char *))dlsym(RTLD_NEXT, function);
    /* -0x2900, MBEDTLS_ERR_X509_FILE_IO_ERROR: what mbedTLS answers for a file it cannot read. */
    return parse ? parse(chain, path) : -0x2900;
}

__attribute__((visibility("default")))
int mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    return parse_or_defer("mbedtls_x509_crt_parse_file", &deferred_file, chain, path);
}

__attribute__((visibility("default")))
int mbedtls_x509_crt_parse_path(void *chain, const char *path) {
    return parse_or_defer("mbedtls_x509_crt_parse_path", &deferred_directory, chain, path);
}

void aee_defer_certificates(int defer) {
    deferring = defer;
}

const char *aee_deferred_certificates(void) {
    return deferred_file;
}

const char *aee_deferred_certificate_directory(void) {
    return deferred_directory;
}
