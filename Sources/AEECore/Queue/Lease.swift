import Dispatch
import Git

/// A run's claim on a task shared through a remote, kept alive while the run lives: the ref `refs/aee/leases/<id>`
/// there moves every third of the lease. A worker elsewhere takes the task over once it has watched the ref stand
/// still for a whole lease by its own monotonic clock, so no two machines' clocks are ever compared: skew between
/// them does not matter, only the (tiny) difference in their clocks' rates.
enum Lease {
    static let defaultSeconds = 60

    static func ref(_ id: TaskID) -> String { "refs/aee/leases/\(id)" }
}

/// Renews a lease from a thread of its own until stopped, then removes it. Each renewal is a commit on an empty tree
/// whose parent is the previous one, so nothing is left dangling while the lease lives.
final class LeaseHeartbeat: Sendable {
    private let stopping = DispatchSemaphore(value: 0)
    private let done = DispatchGroup()

    /// Starts renewing at once; `path` is the repository's, opened again here so no handle is shared between threads.
    init(repository path: String, remote: String, id: TaskID, seconds: Int, identity: Identity) {
        let interval = Double(seconds) / 3
        done.enter()
        DispatchQueue.global().async { [stopping, done] in
            defer { done.leave() }
            guard let repository = try? Repository.open(at: path), let remote = try? TaskRemote(name: remote, repository: repository),
                  let tree = try? repository.writeEmptyTree() else { return }
            let ref = Lease.ref(id)
            var previous = try? repository.resolveReference(ref)
            var renewals = 0
            repeat {
                renewals += 1
                let message = "aee lease: \(id) by \(RunOwner.thisHost)\n\nRenewal \(renewals).\n"
                if let commit = try? repository.writeCommit(tree: tree, parents: previous.map { [$0] } ?? [], author: identity.author,
                                                            committer: identity.committer, message: message),
                   (try? repository.updateReference(ref, to: commit, expecting: previous, reflogMessage: "aee: lease")) != nil {
                    previous = commit
                    // Unreachable for now: the next renewal tries again, and the lease may run out meanwhile.
                    _ = try? remote.publish([ref])
                }
            } while stopping.wait(timeout: .now() + interval) == .timedOut
            if let previous {
                try? repository.deleteReference(ref, expecting: previous)
                _ = try? remote.publish([ref])
            }
        }
    }

    /// Stops renewing and removes the lease, here and on the remote.
    func stop() {
        stopping.signal()
        done.wait()
    }
}

/// An observer's view of other hosts' leases: when each one last changed, by this machine's monotonic clock.
struct LeaseWatch {
    private var seen: [TaskID: (mark: String, since: Double)] = [:]

    /// Whether the lease of `id`, now in the state `mark` (its task branch tip and lease ref), has stood still
    /// for `seconds`. The first sight of a mark starts the count, so a worker that just started waits a whole lease.
    mutating func expired(_ id: TaskID, mark: String, seconds: Int, now: Double) -> Bool {
        guard let known = seen[id], known.mark == mark else {
            seen[id] = (mark, now)
            return false
        }
        return now - known.since >= Double(seconds)
    }

    /// Forgets the tasks not in `ids` (no longer running elsewhere).
    mutating func keep(_ ids: Set<TaskID>) { seen = seen.filter { ids.contains($0.key) } }
}
