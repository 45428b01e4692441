import Git
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `git aee prune` is asked to remove.
public struct PruneOptions: Sendable {
    /// Say what would go, removing nothing.
    public var dryRun = false
    /// Task branches too, of tasks that ended at least `olderThanSeconds` ago, when their commits are elsewhere.
    public var branches = false
    public var olderThanSeconds: Int64 = PruneOptions.defaultAge

    /// Two weeks, as git's `gc.pruneExpire`.
    public static let defaultAge: Int64 = 14 * 86_400

    public init() {}

    /// `14d`, `2w`, `12h`, `30m`, `45s` or `0` in seconds; nil for anything else.
    public static func seconds(ofAge age: String) -> Int64? {
        if age == "0" { return 0 }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400]
        guard let unit = age.last.flatMap({ units[$0] }), let count = Int64(age.dropLast()), count >= 0, count <= 100_000 else { return nil }
        return count * unit
    }

    /// What `aee.pruneAfter` asks a worker to prune after each task it runs, or nil when it is not set: the workspaces
    /// of ended tasks, and the branches of those that ended that long ago.
    static func afterEachTask(_ settings: Settings) throws -> PruneOptions? {
        guard let age = try settings.string("aee.pruneAfter") else { return nil }
        guard let seconds = seconds(ofAge: age) else {
            throw ConfigError.invalidSetting(key: "aee.pruneAfter", value: age, expected: "an age such as 14d, 2w, 12h, 30m or 0")
        }
        var options = PruneOptions()
        options.branches = true
        options.olderThanSeconds = seconds
        return options
    }
}

/// One thing `git aee prune` removed (with `--dry-run`: would remove) or kept, and why.
public struct PruneEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case workspace, branch }
    public let kind: Kind
    /// A workspace's path, or a branch's short name.
    public let name: String
    public let removed: Bool
    public let reason: String
}

extension Workspace {
    /// Removes what ended tasks no longer need: their workspaces (never one whose submodules hold commits found
    /// nowhere else), pooled workspaces beyond `aee.workspacePool` or left half-moved, and with `branches` the
    /// branches of tasks that ended long enough ago whose commits a branch the user keeps, a tag or a remote holds.
    /// A task that has not ended (running, queued, blocked) is never touched.
    public func prune(_ options: PruneOptions) throws -> [PruneEntry] {
        try doing("prune") {
            var entries = try pruneWorkspaces(options)
            if options.branches { entries += try pruneBranches(options) }
            return entries
        }
    }

    private func pruneWorkspaces(_ options: PruneOptions) throws -> [PruneEntry] {
        let folder = WorkspaceLocation.repositoryFolder(of: repository, under: try workspaceRoot())
        let names = Set(Self.entries(folder) + Self.entries(folder + ".state/") + Self.entries(folder + ".calls/"))
        var entries: [PruneEntry] = []
        for name in names.sorted() {
            guard let id = TaskID(String(name.prefix { $0 != "." })) else { continue }
            let location = WorkspaceLocation(name: name, repositoryFolder: folder, poolSize: 0)
            // Gone only when its branch is: a record that cannot be read stops the prune, never counts as gone.
            let record = try repository.resolveReference(id.branch) == nil ? nil : store.record(of: id)
            if let record, !record.state.isFinal {
                entries.append(PruneEntry(kind: .workspace, name: location.root, removed: false, reason: "task \(id) is \(record.state)"))
                continue
            }
            if let reason = TaskWorkspace.holdsWorkFoundNowhereElse(location, main: repository) {
                entries.append(PruneEntry(kind: .workspace, name: location.root, removed: false, reason: reason))
                continue
            }
            if !options.dryRun {
                try TaskWorkspace.remove(location)
                try? removeRecursively(location.callFiles)
            }
            entries.append(PruneEntry(kind: .workspace, name: location.root, removed: true,
                                      reason: record.map { "task \(id) is \($0.state)" } ?? "task \(id) is gone"))
        }
        let pool = WorkspacePool(folder: folder, size: try workspacePoolSize())
        for (location, reason) in pool.prune(dryRun: options.dryRun) {
            entries.append(PruneEntry(kind: .workspace, name: location.root, removed: true, reason: reason))
        }
        return entries
    }

    /// The names in `directory` that are not git aee's own files.
    private static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") && $0 != "repository" }
    }

    private func pruneBranches(_ options: PruneOptions) throws -> [PruneEntry] {
        // What the user keeps: their branches, tags, and every remote-tracking branch (a task pushed is on the remote).
        let kept = try repository.references(matching: "refs/heads/*").filter { !$0.name.hasPrefix("refs/heads/aee/") }
            + repository.references(matching: "refs/tags/*") + repository.references(matching: "refs/remotes/*")
        func elsewhere(_ tip: OID) throws -> Bool {
            try kept.contains { try $0.target == tip || repository.isAncestor(tip, of: $0.target) }
        }
        let cutoff = Timestamp.now.seconds - options.olderThanSeconds
        var entries: [PruneEntry] = []
        for task in try store.list().tasks where task.remote == nil {
            let record = task.record
            guard record.state.isFinal, record.updatedAt.seconds <= cutoff else { continue }
            let branches = try repository.references(matching: record.id.branch) + repository.references(matching: record.id.branch + "-*")
            if let alone = try branches.first(where: { try !elsewhere($0.target) }) {
                entries.append(PruneEntry(kind: .branch, name: Self.shortName(alone.name), removed: false,
                                          reason: "it holds commits found on no branch you keep, tag or remote"))
                continue
            }
            for branch in branches {
                if !options.dryRun { try repository.deleteReference(branch.name, expecting: branch.target) }
                entries.append(PruneEntry(kind: .branch, name: Self.shortName(branch.name), removed: true,
                                          reason: "task \(record.id) is \(record.state) since \(record.updatedAt), its commits are elsewhere"))
            }
        }
        return entries
    }

    private static func shortName(_ ref: String) -> String { String(ref.dropFirst("refs/heads/".count)) }
}
