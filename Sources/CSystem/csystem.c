#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "csystem.h"

int aee_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int aee_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int aee_signal_on_parent_death(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal);
}

int aee_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1UL);
}
