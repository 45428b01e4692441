import Git
#if canImport(Glibc)
import Glibc
#endif

/// A git remote that workers on several clones share tasks through. Task branches are fetched from it into
/// `refs/remotes/<name>/aee/*` (the refspec below) and brought to the local `aee/*` branches when they only moved
/// forward; every commit of a run is pushed to it as a compare-and-swap against the value last seen there, so
/// a claim that loses a race is rejected instead of overwriting the winner's.
public struct TaskRemote {
    public let name: String
    let repository: Repository
    /// What this process pushed last, by ref. That, not the remote-tracking ref, is the value expected on the next
    /// push: a fetch running beside it (the worker's) may set the tracking ref back to a value read just before.
    private let pushed = PushedRefs()

    /// Refuses a remote that is not configured, before anything is fetched or written.
    public init(name: String, repository: Repository) throws {
        guard (try? repository.remoteURL(name)) != nil else { throw RemoteError.unknown(name) }
        self.name = name
        self.repository = repository
    }

    /// The fetch refspec for the task branches, the same one `git aee remote` adds to the remote's config.
    public static func refspec(for name: String) -> String { "+refs/heads/aee/*:refs/remotes/\(name)/aee/*" }

    /// The fetch refspec for the runs' leases, which workers fetch as well.
    static func leaseRefspec(for name: String) -> String { "+refs/aee/leases/*:refs/aee/remotes/\(name)/leases/*" }

    /// Where a fetch records the remote's `ref`: `refs/remotes/<name>/aee/...` for a task branch,
    /// `refs/aee/remotes/<name>/leases/<id>` for a lease.
    func tracking(_ ref: String) -> String {
        ref.hasPrefix("refs/heads/") ? "refs/remotes/\(name)/" + ref.dropFirst("refs/heads/".count)
                                     : "refs/aee/remotes/\(name)/" + ref.dropFirst("refs/aee/".count)
    }

    /// The lease of `id` as last fetched, or nil when there is none.
    func lease(of id: TaskID) throws -> OID? { try repository.resolveReference(tracking(Lease.ref(id))) }

    /// Fetches the task branches and fast-forwards the local ones to them (with `adopting`, creating those that are
    /// new here, as a worker needs them: `adopt`); an attempt branch the remote deleted goes here too
    /// when this clone's copy is what the remote had and its task's branch holds it (a run elsewhere took the task over
    /// and finished that attempt). A local branch ahead of the remote is left for its run to push; one that diverged
    /// is returned, not touched (`settle` takes the remote's).
    public func sync(adopting: Bool = true) throws -> [Divergence] {
        let prefix = "refs/remotes/\(name)/aee/"
        let before = try repository.references(matching: prefix + "*")
        try retrying("fetch from") { try repository.fetch(name, refspecs: [Self.refspec(for: name), Self.leaseRefspec(for: name)]) }
        let after = try repository.references(matching: prefix + "*")
        var diverged: [Divergence] = []
        for (remoteName, remote) in after {
            let branch = taskBranchPrefix + remoteName.dropFirst(prefix.count)
            let local = try repository.resolveReference(branch)
            guard let local else { continue }
            if try local == remote || repository.isAncestor(remote, of: local) { continue }
            if try repository.isAncestor(local, of: remote) {
                // Another process may move it meanwhile; the next sync looks again.
                try? repository.updateReference(branch, to: remote, expecting: local, reflogMessage: "aee: fast-forward from \(name)")
            } else {
                diverged.append(Divergence(branch: branch, local: local, remote: remote))
            }
        }
        let remaining = Set(after.map(\.name))
        for (remoteName, old) in before where !remaining.contains(remoteName) {
            let branch = taskBranchPrefix + remoteName.dropFirst(prefix.count)
            guard let task = branch.firstRange(of: "-attempt-").flatMap({ TaskID(String(branch[..<$0.lowerBound].dropFirst(taskBranchPrefix.count))) }),
                  try repository.resolveReference(branch) == old, let tip = try repository.resolveReference(task.branch),
                  try repository.isAncestor(old, of: tip) else { continue }
            try? repository.deleteReference(branch, expecting: old)
        }
        if adopting { try adopt() }
        return diverged
    }

    /// Makes local the task branches fetched from the remote that have no branch here: those of `id` (its branch and
    /// its attempt branches), or all of them.
    public func adopt(_ id: TaskID? = nil) throws {
        let prefix = "refs/remotes/\(name)/aee/"
        for (remoteName, remote) in try repository.references(matching: prefix + (id.map { "\($0)*" } ?? "*")) {
            let branch = taskBranchPrefix + remoteName.dropFirst(prefix.count)
            if let id, branch != id.branch, !branch.hasPrefix(id.branch + "-attempt-") { continue }
            guard try repository.resolveReference(branch) == nil else { continue }
            // Another process may make it meanwhile; it is there either way.
            try? repository.updateReference(branch, to: remote, expecting: nil, reflogMessage: "aee: from \(name)")
        }
    }

    /// A task branch here and the remote's that neither contains the other: a run here wrote commits the remote
    /// never took (it lost the task while the remote could not be reached), or someone rewrote one of them.
    public struct Divergence: CustomStringConvertible {
        public let branch: String
        let local: OID
        let remote: OID

        /// Where `settle` keeps this clone's side.
        var kept: String { "refs/aee/diverged/\(branch.dropFirst(taskBranchPrefix.count))/\(local.hex.prefix(12))" }

        /// The branch's short name (`aee/<id>`).
        public var name: String { String(branch.dropFirst("refs/heads/".count)) }

        public var description: String { "\(name) and the remote's differ (neither contains the other)" }
    }

    /// Moves a diverged branch to the remote's side, keeping this clone's under `refs/aee/diverged/`; returns that ref.
    public func settle(_ divergence: Divergence) throws -> String {
        if try repository.resolveReference(divergence.kept) != divergence.local {
            try repository.updateReference(divergence.kept, to: divergence.local, expecting: nil, reflogMessage: "aee: diverged from \(name)")
        }
        try repository.updateReference(divergence.branch, to: divergence.remote, expecting: divergence.local, reflogMessage: "aee: settled to \(name)")
        return divergence.kept
    }

    /// After a run here lost its task to the remote: this clone takes the remote's side of `branch` where the remote
    /// does not hold what this clone has (someone rewound or rewrote it there), keeping this clone's under
    /// `refs/aee/diverged/`; returns that ref, or nil when this clone holds nothing the remote lacks.
    /// The run's attempt branches that no longer grow from the task's story go aside with it, here and on the remote
    /// (where the run pushed them, and a later run would find them in its way).
    func yield(_ branch: String) throws -> String? {
        guard let local = try repository.resolveReference(branch), let theirs = try repository.resolveReference(tracking(branch)),
              local != theirs, try !repository.isAncestor(local, of: theirs) else { return nil }
        let kept = try settle(Divergence(branch: branch, local: local, remote: theirs))
        var gone: [(ref: String, target: OID?)] = []
        for (attempt, tip) in try repository.references(matching: branch + "-attempt-*") where try !repository.isAncestor(tip, of: theirs) {
            let aside = "refs/aee/diverged/\(attempt.dropFirst(taskBranchPrefix.count))/\(tip.hex.prefix(12))"
            if try repository.resolveReference(aside) == nil {
                try repository.updateReference(aside, to: tip, expecting: nil, reflogMessage: "aee: diverged from \(name)")
            }
            try repository.deleteReference(attempt, expecting: tip)
            if try repository.resolveReference(tracking(attempt)) == tip { gone.append((attempt, nil)) }
        }
        if !gone.isEmpty { _ = try? publish(gone) }
        return kept
    }

    /// Pushes the local values of `refs` (deleting those gone here), each expected to be on the remote as last
    /// seen. Returns the refs the remote rejected: someone else moved them.
    @discardableResult
    func publish(_ refs: [String]) throws -> [String] {
        try publish(try refs.map { ($0, try repository.resolveReference($0)) })
    }

    /// Pushes each ref's `target` (nil: deletes it), expected to be on the remote as last seen; a run pushes its
    /// commits this way before its own branch moves to them. Returns the refs the remote rejected.
    func publish(_ targets: [(ref: String, target: OID?)]) throws -> [String] {
        let updates = try targets.map { ref, target in
            RefUpdate(name: ref, target: target, expected: try pushed.values[ref] ?? repository.resolveReference(tracking(ref)))
        }.filter { $0.target != $0.expected }
        // A task branch only moves forward: the new commit must contain the one the remote has. A compare-and-swap
        // alone would let a branch that diverged here replace the remote's.
        let (forward, diverged) = try updates.reduce(into: ([RefUpdate](), [String]())) { split, update in
            if update.name.hasPrefix("refs/heads/"), let expected = update.expected, let target = update.target,
               !(try repository.isAncestor(expected, of: target)) {
                split.1.append(update.name)
            } else {
                split.0.append(update)
            }
        }
        guard !forward.isEmpty else { return diverged }
        let rejected = try retrying("push to") { try repository.push(name, forward) } + diverged
        for update in forward where !rejected.contains(update.name) {
            pushed.values[update.name] = .some(update.target)
            // What the remote has now, as a fetch would record it.
            if let target = update.target {
                try? repository.updateReference(tracking(update.name), to: target, expecting: update.expected, reflogMessage: "aee: pushed")
            } else if let expected = update.expected {
                try? repository.deleteReference(tracking(update.name), expecting: expected)
            }
        }
        return rejected
    }

    /// Whether the last try to reach the remote failed (until one goes through).
    var isOutOfReach: Bool { pushed.outOfReach }

    /// Pauses between tries of a remote that cannot be reached: about 6 s in all before giving up.
    static let backoffSeconds = [0.2, 0.4, 0.8, 1.6, 3.2]

    /// Runs `operation`, trying again with backoff while the remote cannot be reached (not when it refused access).
    func retrying<T>(_ what: String, _ operation: () throws -> T) throws -> T {
        // Once the remote was out of reach, each later try is one until it answers again: a run goes on meanwhile,
        // and waiting out the pauses at every commit made a three-item run take a minute.
        var pauses = pushed.outOfReach ? [] : Self.backoffSeconds[...]
        while true {
            do {
                let result = try operation()
                pushed.outOfReach = false
                return result
            } catch let error as GitError {
                // libgit2 calls a path that is not there an "unsupported URL protocol": say what it is, and do not wait.
                if let url = try? repository.remoteURL(name), let path = Repository.localPath(of: url), access(path, F_OK) != 0 {
                    pushed.outOfReach = true
                    throw RemoteError.failed(name, action: what, reason: "there is no repository at \(path)")
                }
                guard !error.isRefusedAccess, let pause = pauses.popFirst() else {
                    pushed.outOfReach = true
                    throw RemoteError.failed(name, action: what, reason: error.message)
                }
                usleep(useconds_t(pause * 1_000_000))
            }
        }
    }
}

/// The values a process pushed, by ref (nil: it deleted the ref).
private final class PushedRefs {
    var values: [String: OID?] = [:]
    /// Whether the remote's last try failed after all its pauses.
    var outOfReach = false
}
