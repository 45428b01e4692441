#ifndef AEE_CLIBGIT2_SHIM_H
#define AEE_CLIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/commit.h>
#include <git2/sys/repository.h>
#include <git2/sys/filter.h>
#include <git2/sys/mempack.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one fixed-arity wrapper per option we set. */
static inline int aee_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

/* Adds `extension` to the repository extensions libgit2 accepts. */
static inline int aee_git_accept_extension(const char *extension) {
    const char *extensions[] = { extension };
    return git_libgit2_opts(GIT_OPT_SET_EXTENSIONS, extensions, (size_t)1);
}

/* Loads CA certificates from `file`, as libgit2's start-up would have. */
static inline int aee_git_load_certificates(const char *file, const char *directory) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, directory);
}

#endif
