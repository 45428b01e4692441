import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// One ref update of a push: `name` on the remote moves from `expected` (nil: it must not exist) to `target`
/// (nil: it is deleted), or is left alone and reported rejected. The local ref `name` must point at `target`.
public struct RefUpdate: Sendable {
    public let name: String
    public let target: OID?
    public let expected: OID?

    public init(name: String, target: OID?, expected: OID?) {
        self.name = name
        self.target = target
        self.expected = expected
    }
}

extension Repository {
    /// The URL configured for remote `name`.
    public func remoteURL(_ name: String) throws -> String {
        try withRemote(name) { String(cString: git_remote_url($0)) }
    }

    /// Fetches `refspecs` from remote `name`, pruning what they map and the remote no longer has.
    public func fetch(_ name: String, refspecs: [String]) throws {
        try withRemote(name) { remote in
            var options = git_fetch_options()
            try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init")
            options.prune = GIT_FETCH_PRUNE
            options.update_fetchhead = 0
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.callbacks.credentials = acquireCredential
            try withStringArray(refspecs) { array in
                // A ref's lock that a killed process left (a `git aee sync` killed mid-update) would fail every fetch
                // that moves that ref: one grown stale is removed and the fetch tried again, once per lock.
                var cleared: Set<String> = []
                while true {
                    let result = git_remote_fetch(remote, &array, &options, "aee: fetch")
                    guard result < 0, let lock = Self.lockFile(in: GitError(code: result, function: "git_remote_fetch").message),
                          lock.hasPrefix(commonDirectory), cleared.insert(lock).inserted, clearStaleLocks([lock]) else {
                        _ = try check(result, "git_remote_fetch")
                        return
                    }
                }
            }
        }
    }

    /// The lock file libgit2 names in a "failed to lock file '<path>' for writing" message.
    static func lockFile(in message: String) -> String? {
        guard let start = message.firstRange(of: "lock file '")?.upperBound, let end = message[start...].firstIndex(of: "'") else { return nil }
        let path = String(message[start..<end])
        return path.hasSuffix(".lock") ? path : nil
    }

    /// Pushes `updates` to remote `name`, each a compare-and-swap: a ref moves only if it still has the value
    /// expected. Returns the names of the refs that did not (another writer got there first).
    /// A remote on this machine is written directly (objects as one pack, then each ref updated under its lock
    /// naming the old value), because libgit2's local transport overwrites refs without checking them. Any other
    /// remote gets the old values in the push commands, which the server checks under its ref locks.
    public func push(_ name: String, _ updates: [RefUpdate]) throws -> [String] {
        let url = try remoteURL(name)
        if let path = Self.localPath(of: url) { return try pushDirectly(to: path, updates) }
        return try withRemote(name) { remote in
            var callbacks = git_remote_callbacks()
            try check(git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION)), "git_remote_init_callbacks")
            callbacks.credentials = acquireCredential
            try check(git_remote_connect(remote, GIT_DIRECTION_PUSH, &callbacks, nil, nil), "git_remote_connect")
            defer { git_remote_disconnect(remote) }
            // The push commands name the values this connection saw; refs not as expected are not pushed at all.
            let advertised = try Self.advertised(remote)
            let (matching, stale) = updates.reduce(into: ([RefUpdate](), [String]())) { split, update in
                if advertised[update.name] == update.expected { split.0.append(update) } else { split.1.append(update.name) }
            }
            guard !matching.isEmpty else { return stale }
            // A push names its source by a local ref: the ref of the same name when it points at the target, else a
            // staging ref (a run pushes a commit before its own branch moves to it), removed once the push is done.
            var staged: [(ref: String, target: OID)] = []
            defer { for (ref, target) in staged { try? deleteReference(ref, expecting: target) } }
            let refspecs = try matching.map { update -> String in
                guard let target = update.target else { return ":\(update.name)" }
                var source = update.name
                if try resolveReference(source) != target {
                    source = Self.stagingPrefix + update.name.dropFirst("refs/".count)
                    // One left by a push that was killed is simply replaced.
                    let left = try resolveReference(source)
                    if let left { try deleteReference(source, expecting: left) }
                    try updateReference(source, to: target, expecting: nil, reflogMessage: "aee: to push")
                    staged.append((source, target))
                }
                // Forced, because the old values above are the check (a lease ref moves to an unrelated commit).
                return "+\(source):\(update.name)"
            }
            let rejected = RejectedRefs()
            var options = git_push_options()
            try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "git_push_options_init")
            options.callbacks.credentials = acquireCredential
            options.callbacks.push_update_reference = { name, status, payload in
                if status != nil, let name, let payload { Unmanaged<RejectedRefs>.fromOpaque(payload).takeUnretainedValue().names.append(String(cString: name)) }
                return 0
            }
            options.callbacks.payload = Unmanaged.passUnretained(rejected).toOpaque()
            try withExtendedLifetime(rejected) {
                try withStringArray(refspecs) { array in
                    _ = try check(git_remote_upload(remote, &array, &options), "git_remote_upload")
                }
            }
            return stale + rejected.names
        }
    }

    /// Where the commits a push sends before any local branch points at them are named for the push's length.
    static let stagingPrefix = "refs/aee/outgoing/"

    /// The path of a remote on this machine (a path or a `file://` URL), or nil for a network URL.
    public static func localPath(of url: String) -> String? {
        if url.hasPrefix("file://") { return String(url.dropFirst("file://".count)) }
        if url.hasPrefix("/") || url.hasPrefix("./") || url.hasPrefix("../") { return url }
        // `host:path` is ssh; a bare word without a colon is a path relative to the current directory.
        return url.contains(":") ? nil : url
    }

    private func pushDirectly(to path: String, _ updates: [RefUpdate]) throws -> [String] {
        let remote = try Repository.open(at: path)
        let targets = updates.compactMap(\.target)
        if !targets.isEmpty {
            try writePack(of: targets, excludingWhatIsIn: remote, into: remote.commonDirectory + "objects/pack")
        }
        // libgit2 looks for new packs when an object is not found, so the refs below see the one just written.
        var rejected: [String] = []
        for update in updates {
            do {
                if let target = update.target {
                    try remote.updateReference(update.name, to: target, expecting: update.expected, reflogMessage: "aee: push")
                } else if let expected = update.expected {
                    try remote.deleteReference(update.name, expecting: expected)
                }
            } catch let error as GitError where error.isModified || error.isExists || error.isLocked || error.isNotFound {
                // Not found: the ref expected there was deleted.
                rejected.append(update.name)
            }
        }
        return rejected
    }

    /// Writes the objects reachable from `tips` that `other` has no ref to into one pack in `directory`.
    private func writePack(of tips: [OID], excludingWhatIsIn other: Repository, into directory: String) throws {
        var builder: OpaquePointer?
        try check(git_packbuilder_new(&builder, pointer), "git_packbuilder_new")
        defer { git_packbuilder_free(builder) }
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        for tip in tips {
            var raw = tip.raw
            try check(git_revwalk_push(walk, &raw), "git_revwalk_push")
        }
        for (_, target) in try other.references(matching: "refs/*") {
            var raw = target.raw
            // A commit the other side has and this one does not cannot be hidden, and need not be.
            _ = git_revwalk_hide(walk, &raw)
        }
        try check(git_packbuilder_insert_walk(builder, walk), "git_packbuilder_insert_walk")
        guard git_packbuilder_object_count(builder) > 0 else { return }
        try check(git_packbuilder_write(builder, directory, 0, nil, nil), "git_packbuilder_write")
    }

    private func withRemote<T>(_ name: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        let certificateProblem = LibGit2.certificateProblem
        var remote: OpaquePointer?
        try check(git_remote_lookup(&remote, pointer, name), "git_remote_lookup")
        defer { git_remote_free(remote) }
        if let certificateProblem, let url = git_remote_url(remote).map({ String(cString: $0) }), url.lowercased().hasPrefix("https://") {
            throw GitError(code: GIT_ECERTIFICATE.rawValue, function: "git_libgit2_opts", message: certificateProblem)
        }
        return try body(remote!)
    }

    /// The refs a connected remote advertised.
    private static func advertised(_ remote: OpaquePointer) throws -> [String: OID] {
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try check(git_remote_ls(&heads, &count, remote), "git_remote_ls")
        var refs: [String: OID] = [:]
        for index in 0..<count {
            guard let head = heads?[index]?.pointee else { continue }
            refs[String(cString: head.name)] = OID(head.oid)
        }
        return refs
    }
}

/// Refs a push callback reported rejected.
private final class RejectedRefs {
    var names: [String] = []
}

/// Credentials for ssh from the user's agent; other kinds (passwords, Kerberos) are not asked for: git aee never
/// prompts, and says so in the error (an authentication refusal, which is not tried again).
private let acquireCredential: git_credential_acquire_cb = { out, _, user, allowed, _ in
    guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else {
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), "the remote asks for a password or a Kerberos ticket; git aee authenticates with ssh-agent keys only")
        return GIT_EAUTH.rawValue
    }
    if let user { return git_credential_ssh_key_from_agent(out, user) }
    return git_credential_ssh_key_from_agent(out, "git")
}

extension Repository {
    /// Whether a plain fetch from remote `name` stores the remote's `ref` as `tracking`.
    public func fetchMaps(_ ref: String, to tracking: String, remote name: String) throws -> Bool {
        try withRemote(name) { remote in
            for index in 0..<git_remote_refspec_count(remote) {
                guard let spec = git_remote_get_refspec(remote, index), git_refspec_direction(spec) == GIT_DIRECTION_FETCH,
                      git_refspec_src_matches(spec, ref) != 0 else { continue }
                var buffer = git_buf()
                defer { git_buf_dispose(&buffer) }
                if git_refspec_transform(&buffer, spec, ref) == 0, String(cString: buffer.ptr) == tracking { return true }
            }
            return false
        }
    }

    /// Adds `refspec` to remote `name`'s fetch refspecs in the repository's own config.
    public func addFetchRefspec(_ refspec: String, to name: String) throws {
        try check(git_remote_add_fetch(pointer, name, refspec), "git_remote_add_fetch")
    }
}
