/* Deferred CA certificates.
 *
 * Debian's libgit2 is built with mbedTLS, whose start-up (git_libgit2_init) parses the system's whole CA bundle:
 * 52 million instructions, about 6 ms, half of what a git aee command costs before it does anything, paid by every
 * command although almost none opens a TLS connection. The link wraps mbedTLS's parse functions (Package.swift:
 * `--wrap`), so libgit2's calls reach these: while git aee initialises libgit2 they only note the bundle's path;
 * before a remote is reached, aee_git_load_certificates (in the CLibGit2 shim) has libgit2 load that path for real
 * through GIT_OPT_SET_SSL_CERT_LOCATIONS, which calls these again with deferral off, and they go on to mbedTLS's own
 * functions. A libgit2 built with OpenSSL never calls them. A libgit2 whose default is a directory of certificates
 * parses it with mbedTLS's path function, deferred the same way (that function parses each file through the file
 * function, but from inside mbedTLS, where the wrap does not reach: it is never deferred then). */
#include <stdlib.h>
#include <string.h>
#include "csystem.h"

static int deferring = 0;
static char *deferred_file = NULL;
static char *deferred_directory = NULL;

int __real_mbedtls_x509_crt_parse_file(void *chain, const char *path);
int __real_mbedtls_x509_crt_parse_path(void *chain, const char *path);

/* While deferring, notes `path` in `*noted` and returns 1; else 0. */
static int note_if_deferring(char **noted, const char *path) {
    if (!deferring) return 0;
    free(*noted);
    *noted = path ? strdup(path) : NULL;
    return 1;
}

int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    return note_if_deferring(&deferred_file, path) ? 0 : __real_mbedtls_x509_crt_parse_file(chain, path);
}

int __wrap_mbedtls_x509_crt_parse_path(void *chain, const char *path) {
    return note_if_deferring(&deferred_directory, path) ? 0 : __real_mbedtls_x509_crt_parse_path(chain, path);
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
