#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "csystem.h"

int aee_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int aee_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int aee_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int aee_signal_on_parent_death(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal);
}

int aee_spawnattr_init_for_child(posix_spawnattr_t *attributes, int new_group) {
    sigset_t defaults, mask;
    int result = posix_spawnattr_init(attributes);
    if (result != 0) return result;
    sigfillset(&defaults);
    sigemptyset(&mask);
    posix_spawnattr_setsigdefault(attributes, &defaults);
    posix_spawnattr_setsigmask(attributes, &mask);
    if (new_group) posix_spawnattr_setpgroup(attributes, 0);
    return posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (new_group ? POSIX_SPAWN_SETPGROUP : 0));
}

int aee_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1UL);
}

int aee_contains_bytes(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return memmem(haystack, haystack_length, needle, needle_length) != NULL;
}
