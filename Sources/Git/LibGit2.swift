import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// One-time process-wide libgit2 set-up; every entry point touches `LibGit2.ready` first.
enum LibGit2 {
    static let ready: Void = {
        git_libgit2_init()
        // git itself does not re-hash objects it reads; doing so here only makes reads slower.
        _ = aee_git_set_strict_hash_verification(0)
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
