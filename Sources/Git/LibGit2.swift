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
        // libgit2 1.5 knows no `extensions.objectFormat` and refuses every repository that sets it, `sha1` (git's
        // `init --object-format=sha1`) too: accepted here, its value is checked where git aee opens the repository.
        _ = aee_git_accept_extension("objectformat")
    }()

    /// Loads, once, before a remote is reached, the CA certificates libgit2's start-up would have loaded; nil when
    /// they loaded (or there were none to load), else why not. libgit2's start-up ignored a bundle it could not read,
    /// and every TLS remote then failed to verify with nothing said of the bundle: `withRemote` says it.
    static let certificateProblem: String? = {
        _ = ready
        let file = aee_deferred_certificates(), directory = aee_deferred_certificate_directory()
        guard file != nil || directory != nil, aee_git_load_certificates(file, directory) != 0 else { return nil }
        let place = [file, directory].compactMap { $0.map { String(cString: $0) } }.joined(separator: " and ")
        return "cannot load the CA certificates of \(place): " + (git_error_last()?.pointee.message.map { String(cString: $0) } ?? "unknown error")
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
