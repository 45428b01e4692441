import CLibGit2

/// Who made a commit and when.
public struct Signature: Sendable, Equatable {
    public let name: String
    public let email: String
    /// Seconds since the epoch.
    public let time: Int64
    /// Offset from UTC in minutes.
    public let offsetMinutes: Int32

    public init(name: String, email: String, time: Int64, offsetMinutes: Int32) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    func withHandle<T>(_ body: (UnsafePointer<git_signature>) throws -> T) throws -> T {
        var handle: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&handle, name, email, git_time_t(time), offsetMinutes), "git_signature_new")
        defer { git_signature_free(handle) }
        return try body(handle!)
    }
}

extension Repository {
    /// Writes a commit object; no ref moves (see `updateReference`).
    public func writeCommit(tree: OID, parents: [OID], author: Signature, committer: Signature, message: String) throws -> OID {
        var oid = git_oid()
        var treeRaw = tree.raw
        var parentRaws = parents.map(\.raw)
        try author.withHandle { author in
            try committer.withHandle { committer in
                try parentRaws.withUnsafeMutableBufferPointer { raws in
                    var parentPointers: [UnsafePointer<git_oid>?] = (0..<raws.count).map { UnsafePointer(raws.baseAddress! + $0) }
                    try check(
                        git_commit_create_from_ids(&oid, pointer, nil, author, committer, nil, message, &treeRaw, parents.count, &parentPointers),
                        "git_commit_create_from_ids")
                }
            }
        }
        // libgit2 1.5 reports success when the object could not be written (`git_odb_write`'s failure is not kept:
        // a full disk), and a ref would then name a commit that is not there: what it recorded last is the reason.
        // Taken before the lookup, which replaces libgit2's last error.
        let unwritten = GitError(code: GIT_ERROR.rawValue, function: "git_commit_create_from_ids")
        var database: OpaquePointer?
        try check(git_repository_odb(&database, pointer), "git_repository_odb")
        defer { git_odb_free(database) }
        guard git_odb_exists(database, &oid) != 0 else { throw unwritten }
        return OID(oid)
    }
}
