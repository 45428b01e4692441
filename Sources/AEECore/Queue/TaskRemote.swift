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
        guard (try? repository.remoteURL(name)) != nil else { throw AEEError.unknownRemote(name) }
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

    /// Fetches the task branches and fast-forwards the local ones to them (creating those that are new here).
    /// A local branch ahead of the remote is left for its run to push; one that diverged is reported, not touched.
    public func sync() throws -> [String] {
        try retrying("fetch from") { try repository.fetch(name, refspecs: [Self.refspec(for: name), Self.leaseRefspec(for: name)]) }
        var problems: [String] = []
        let prefix = "refs/remotes/\(name)/aee/"
        for (remoteName, remote) in try repository.references(matching: prefix + "*") {
            let branch = Repository.taskBranchPrefix + remoteName.dropFirst(prefix.count)
            let local = try repository.resolveReference(branch)
            guard let local else {
                try? repository.updateReference(branch, to: remote, expecting: nil, reflogMessage: "aee: from \(name)")
                continue
            }
            if try local == remote || repository.isAncestor(remote, of: local) { continue }
            if try repository.isAncestor(local, of: remote) {
                // Another process may move it meanwhile; the next sync looks again.
                try? repository.updateReference(branch, to: remote, expecting: local, reflogMessage: "aee: fast-forward from \(name)")
            } else if try !isBeingSettled(branch, local: local) {
                problems.append("\(branch.dropFirst("refs/heads/".count)) and \(name)'s differ (neither contains the other); left as it is")
            }
        }
        return problems
    }

    /// Whether a live run on this host owns the task whose branch `branch` is at `local`: a claim it is losing,
    /// which it puts back itself once its push is refused.
    private func isBeingSettled(_ branch: String, local: OID) throws -> Bool {
        guard let id = TaskID(String(branch.dropFirst(Repository.taskBranchPrefix.count))) else { return false }
        return RunOwner(of: try TaskStore(repository: repository).events(of: id, at: local)).liveness == .alive
    }

    /// Pushes the local values of `refs` (deleting those gone here), each expected to be on the remote as last
    /// seen. Returns the refs the remote rejected: someone else moved them.
    @discardableResult
    func publish(_ refs: [String]) throws -> [String] {
        let updates = try refs.map { ref in
            RefUpdate(name: ref, target: try repository.resolveReference(ref), expected: try pushed.values[ref] ?? repository.resolveReference(tracking(ref)))
        }.filter { $0.target != $0.expected }
        // A task branch only moves forward: the new commit must contain the one the remote has. A compare-and-swap
        // alone would let a branch that diverged here (a claim that lost) replace the winner's.
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

    /// Pauses between tries of a remote that cannot be reached: about 6 s in all before giving up.
    static let backoffSeconds = [0.2, 0.4, 0.8, 1.6, 3.2]

    /// Runs `operation`, trying again with backoff while the remote cannot be reached.
    func retrying<T>(_ what: String, _ operation: () throws -> T) throws -> T {
        var pauses = Self.backoffSeconds[...]
        while true {
            do {
                return try operation()
            } catch let error as GitError {
                guard let pause = pauses.popFirst() else { throw AEEError.remoteFailed(name, action: what, reason: error.message) }
                usleep(useconds_t(pause * 1_000_000))
            }
        }
    }
}

/// The values a process pushed, by ref (nil: it deleted the ref).
private final class PushedRefs {
    var values: [String: OID?] = [:]
}
