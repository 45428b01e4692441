#ifndef AEE_CSYSTEM_H
#define AEE_CSYSTEM_H

#include <spawn.h>
#include <stddef.h>

/* glibc's GNU extensions, which Swift's Glibc module does not export. */

/* pipe2(fds, O_CLOEXEC): both ends close-on-exec from birth, so a command spawned by another thread never inherits them. */
int aee_pipe_cloexec(int fds[2]);

/* posix_spawn_file_actions_addchdir_np: the child starts in `path` without the parent changing directory. */
int aee_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/* posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `from` up. */
int aee_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/* prctl(PR_SET_PDEATHSIG, signal), which Swift cannot call (prctl is variadic). */
int aee_signal_on_parent_death(int signal);

/* posix_spawnattr_init, then default handling for every signal and an empty signal mask in the child, whatever the
   parent ignores or blocks (git aee ignores SIGINT/SIGTERM/SIGHUP to handle them itself); with `new_group`, a process
   group of the child's own. */
int aee_spawnattr_init_for_child(posix_spawnattr_t *attributes, int new_group);

/* prctl(PR_SET_CHILD_SUBREAPER, 1): orphans below this process become its children instead of init's. */
int aee_become_subreaper(void);

/* memmem: whether `needle` occurs in `haystack`, a byte search much faster than Swift's String search. */
int aee_contains_bytes(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/* While `defer` is set, mbedTLS's parse of a CA file (libgit2's start-up loads the system bundle) only notes its path
   (certificates.c says why). */
void aee_defer_certificates(int defer);

/* The CA file whose parse was deferred, or NULL. */
const char *aee_deferred_certificates(void);

/* The directory of CA files whose parse was deferred, or NULL. */
const char *aee_deferred_certificate_directory(void);

#endif
