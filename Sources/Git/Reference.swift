import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// The commit a ref points at (following symbolic refs), or nil when the ref does not exist.
    public func resolveReference(_ name: String) throws -> OID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_reference_name_to_id")
        return OID(oid)
    }

    /// The names of the refs directly in `directory` (`refs/heads/aee/`) that start with `prefix` there, loose or
    /// packed, without reading any of them: for listing many refs whose targets are then read where they are needed, on several threads. libgit2's
    /// iterator reads every loose ref file, one after another, after an `lstat` of each.
    public func referenceNames(in directory: String, startingWith prefix: String = "") -> [String] {
        let start = Array(prefix.utf8)
        var names = Set<String>()
        if let entries = opendir(commonDirectory + directory) {
            defer { closedir(entries) }
            while let entry = readdir(entries) {
                // Told by its bytes, so that of 100,000 names only those that match become strings.
                let name: String? = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                    let name = bytes.prefix { $0 != 0 }
                    return name.starts(with: start) ? String(decoding: name, as: UTF8.self) : nil
                }
                // A directory holds refs one level down, not in `directory`; a `.lock` is a ref being written.
                if let name, entry.pointee.d_type != UInt8(DT_DIR), !name.hasPrefix("."), !name.hasSuffix(".lock") { names.insert(directory + name) }
            }
        }
        // `packed-refs`: `<id> <name>` lines, a `^<id>` line after a tag's, `#` for the header.
        let packedStart = Array((directory + prefix).utf8)
        for line in (readFile(commonDirectory + "packed-refs") ?? []).split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: "#") && line.first != UInt8(ascii: "^") {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")), line[(space + 1)...].starts(with: packedStart) else { continue }
            let name = String(decoding: line[(space + 1)...], as: UTF8.self)
            if !name.dropFirst(directory.count).contains("/") { names.insert(name) }
        }
        return names.sorted()
    }

    /// Every ref whose name matches the glob, with the object it resolves to.
    /// Whether `ref` ever pointed at `oid`, as its reflog remembers (false where git keeps no reflog for it).
    public func refLogHolds(_ ref: String, _ oid: OID) throws -> Bool {
        try refLog(ref).contains { $0.target == oid }
    }

    /// The entries of `ref`'s reflog, newest first: what it was moved to, and why; none where git keeps no reflog.
    public func refLog(_ ref: String) throws -> [(target: OID, message: String)] {
        var log: OpaquePointer?
        try check(git_reflog_read(&log, pointer, ref), "git_reflog_read")
        defer { git_reflog_free(log) }
        return (0..<git_reflog_entrycount(log)).compactMap { index in
            guard let entry = git_reflog_entry_byindex(log, index), let id = git_reflog_entry_id_new(entry) else { return nil }
            return (OID(id.pointee), git_reflog_entry_message(entry).map { String(cString: $0) } ?? "")
        }
    }

    public func references(matching glob: String) throws -> [(name: String, target: OID)] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_glob_new(&iterator, pointer, glob), "git_reference_iterator_glob_new")
        defer { git_reference_iterator_free(iterator) }
        var found: [(String, OID)] = []
        var reference: OpaquePointer?
        while true {
            let result = git_reference_next(&reference, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "git_reference_next")
            defer { git_reference_free(reference) }
            if let target = git_reference_target(reference) {
                found.append((String(cString: git_reference_name(reference)), OID(target.pointee)))
            }
        }
        return found
    }

    /// Points `name` at `target` only if it still points at `expected` (nil: only if it does not exist yet).
    /// Throws a `GitError` with `isModified` or `isExists` when another writer got there first.
    public func updateReference(_ name: String, to target: OID, expecting expected: OID?, reflogMessage: String) throws {
        var targetRaw = target.raw
        var reference: OpaquePointer?
        // libgit2 leaves its `.lock` file behind if a signal kills us mid-update, which then blocks git
        // itself; holding SIGINT/SIGTERM/SIGHUP for these microseconds closes that window.
        let result = writingRef(name) {
            git_reference_free(reference)
            reference = nil
            if var expectedRaw = expected?.raw {
                return git_reference_create_matching(&reference, pointer, name, &targetRaw, 1, &expectedRaw, reflogMessage)
            }
            return git_reference_create(&reference, pointer, name, &targetRaw, 0, reflogMessage)
        }
        git_reference_free(reference)
        try check(result, expected == nil ? "git_reference_create" : "git_reference_create_matching")
    }
}

/// Blocks the terminating signals around a critical section and lets them through afterwards.
enum SignalDeferral {
    static func run<T>(_ body: () -> T) -> T {
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return body()
    }
}

extension Repository {
    /// Deletes the ref `name` only if it still points at `expected`; nothing to do when it is already gone.
    public func deleteReference(_ name: String, expecting expected: OID) throws {
        var reference: OpaquePointer?
        let found = git_reference_lookup(&reference, pointer, name)
        if found == GIT_ENOTFOUND.rawValue { return }
        try check(found, "git_reference_lookup")
        defer { git_reference_free(reference) }
        guard let target = git_reference_target(reference), OID(target.pointee) == expected else {
            throw GitError(code: GIT_EMODIFIED.rawValue, function: "git_reference_delete")
        }
        let result = writingRef(name) { git_reference_delete(reference) }
        try check(result, "git_reference_delete")
    }
}

extension Repository {
    /// Whether git accepts `name` as a full reference name (`refs/...`: no `..`, `@{`, `.lock` ending, control characters).
    public static func isValidReferenceName(_ name: String) -> Bool {
        _ = LibGit2.ready
        var valid: Int32 = 0
        return git_reference_name_is_valid(&valid, name) == 0 && valid == 1
    }
}
