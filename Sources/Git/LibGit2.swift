import CLibGit2

/// One-time process-wide libgit2 set-up; every entry point touches `LibGit2.ready` first.
enum LibGit2 {
    static let ready: Void = {
        git_libgit2_init()
        // git itself does not re-hash objects it reads; doing so here only makes reads slower.
        _ = aee_git_set_strict_hash_verification(0)
    }()
}
