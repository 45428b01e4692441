import CLibGit2
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// One-time process-wide libgit2 set-up; every entry point touches `LibGit2.ready` first.
enum LibGit2 {
    static let ready: Void = {
        // The CA bundle is read only when a remote is reached (`certificates`), not by every command.
        aee_defer_certificates(1)
        git_libgit2_init()
        aee_defer_certificates(0)
        // git itself does not re-hash objects it reads; doing so here only makes reads slower.
        _ = aee_git_set_strict_hash_verification(0)
    }()

    /// Loads, once, before a remote is reached, the CA certificates libgit2's start-up would have loaded; whether
    /// there were any and they loaded. A bundle that cannot be read is ignored, as libgit2's start-up ignores it (a
    /// TLS remote then fails to verify).
    static let certificates: Bool = {
        _ = ready
        guard let file = aee_deferred_certificates() else { return false }
        return aee_git_load_certificates(file) == 0
    }()
}

/// Lends `strings` to libgit2 as a `git_strarray` for the length of `body`.
func withStringArray<T>(_ strings: [String], _ body: (inout git_strarray) throws -> T) rethrows -> T {
    var copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return try copies.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&array)
    }
}
