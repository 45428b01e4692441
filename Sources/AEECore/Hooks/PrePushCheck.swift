import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One line git gives a pre-push hook: `<local ref> <local oid> <remote ref> <remote oid>`.
public struct PushedRef: Equatable, Sendable {
    public let localRef: String
    public let localOID: String
    public let remoteRef: String

    /// Parses git's stdin; deletions (an all-zero local oid, of either hash length) and blank lines are dropped.
    public static func parse(_ input: String) throws -> [PushedRef] {
        try input.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard !fields.isEmpty else { return nil }
            guard fields.count == 4, fields[1].count == 40 || fields[1].count == 64,
                  fields[1].allSatisfy({ $0.isHexDigit }) else { throw HookError.badInput(String(line)) }
            if fields[1].allSatisfy({ $0 == "0" }) { return nil }
            return PushedRef(localRef: fields[0], localOID: fields[1], remoteRef: fields[2])
        }
    }
}

/// What the hook decided for one pushed ref.
public struct PushVerdict: Sendable {
    public let ref: PushedRef
    public let commit: String
    public let report: GateReport
}

/// What the hook decided for a push: a verdict per ref of the user's code, and the refs it let through unjudged.
public struct PushCheck: Sendable {
    public var verdicts: [PushVerdict] = []
    /// git aee's own branches (tasks and attempts hold the code as it was judged, failing or not) and refs that are
    /// not branches or tags (notes, for one).
    public var skipped: [PushedRef] = []
}

extension PushedRef {
    /// Whether the push updates code under review: a branch or a tag of the remote's, not one of git aee's task
    /// branches there (what is pushed to `main` is judged, whichever local ref it comes from).
    var isReviewed: Bool {
        (remoteRef.hasPrefix("refs/heads/") || remoteRef.hasPrefix("refs/tags/")) && !remoteRef.hasPrefix(taskBranchPrefix)
    }
}

extension Workspace {
    /// The installer of the pre-push hook, in the effective hooks directory. A hook there that the repository tracks
    /// (`core.hooksPath=.husky`) is the team's file: it is changed only with `force`, never without a word.
    public func hookInstaller(force: Bool = false) throws -> HookInstaller {
        return try doing("find the pre-push hook") {
            let directory = try hooksDirectory()
            if !force, let root = repository.workingDirectory, directory.hasPrefix(root) {
                let path = String(directory.dropFirst(root.count)) + "pre-push"
                if try repository.isTracked(path) { throw HookError.tracked(path) }
            }
            return HookInstaller(directory: directory, madeNote: repository.commonDirectory + "aee/hooks-directory-made")
        }
    }

    /// Whether the hooks directory is shared by other repositories: `core.hooksPath` set in the user's global (or
    /// the system's) git config, not by this repository or `git -c`.
    public func hooksDirectoryIsShared() throws -> Bool {
        try doing("read core.hooksPath") {
            try settings.commandLine.value("core.hooksPath") == nil && settings.files.isShared("core.hooksPath") == true
        }
    }

    /// The effective hooks directory, ending with `/`: `core.hooksPath` (relative to the working tree root) or the
    /// common git directory's `hooks` (git's `git rev-parse --git-path hooks`).
    func hooksDirectory() throws -> String {
        var directory: String
        if var configured = try settings.string("core.hooksPath") {
            if configured.hasPrefix("~/") { configured = (environment["HOME"] ?? "") + configured.dropFirst(1) }
            directory = configured.hasPrefix("/") ? configured : (repository.workingDirectory ?? repository.commonDirectory) + configured
        } else {
            directory = repository.commonDirectory + "hooks"
        }
        if !directory.hasSuffix("/") { directory += "/" }
        return directory
    }

    /// Judges the tip commit of every pushed branch and tag with the pre-push gates of that commit's own
    /// `.aee/config.json` (the user's `git config aee.*` on top): from the cache when its tree passed before, in the
    /// working tree when that holds the same tree, else in a scratch checkout of the commit.
    public func checkPush(_ refs: [PushedRef]) throws -> PushCheck {
        return try doing("check what is pushed") {
            // Computing the working tree's id reads every file's status: done only if some tree needs it, and once.
            lazy var workingTree = Result { try repository.workingDirectory.map { _ in try repository.workingTreeTree() } }
            lazy var workingConfig = Result { try repository.workingDirectory.flatMap { try ProjectConfig.load(workingDirectory: $0) } }
            var check = PushCheck()
            var judged: [OID: GateReport] = [:]
            for ref in refs {
                guard ref.isReviewed else {
                    check.skipped.append(ref)
                    continue
                }
                guard let oid = OID(hex: ref.localOID), let commit = try repository.peelToCommit(oid) else { continue }
                let tree = try repository.commit(commit).tree
                if judged[tree] == nil {
                    let config = try ProjectConfig.load(commit: commit, in: repository)
                    let catalog: GateCatalog
                    do {
                        catalog = try GateCatalog(config: config, settings: settings)
                    } catch ConfigError.gateCycle(let names) {
                        // Named with the commit whose file it is, as a malformed one is.
                        throw ConfigError.invalidFile(file: "\(commit.hex.prefix(12)):\(ProjectConfig.path)", key: "gates",
                                                      reason: "their 'needs' form a loop: \(names.joined(separator: " -> "))")
                    }
                    let plan = try catalog.plan(catalog.prePushGates)
                    let cached = try cachedPasses(plan, tree: tree)
                    do {
                        try requireTrust(catalog.projectCommands(of: plan.filter { !cached.contains($0.name) }))
                    } catch ConfigError.untrustedCommands(let commands, _) {
                        // Approving the working tree's file would not approve this one: the refusal names the commit.
                        let differs = (try? workingConfig.get()).flatMap { $0 } != config
                        throw ConfigError.untrustedCommands(commands, commit: differs ? commit.hex : nil)
                    }
                    if cached.count == plan.count {
                        // Nothing will run, so the directory does not matter.
                        judged[tree] = try judge(tree, in: repository.commonDirectory, plan: plan, catalog: catalog, cached: cached, checkedOut: nil)
                    } else if let root = repository.workingDirectory, try workingTree.get() == tree {
                        judged[tree] = try judge(tree, in: root, plan: plan, catalog: catalog, cached: cached, checkedOut: repository)
                    } else {
                        judged[tree] = try judgeCheckout(of: tree, plan: plan, catalog: catalog, cached: cached)
                    }
                }
                check.verdicts.append(PushVerdict(ref: ref, commit: commit.hex, report: judged[tree]!))
            }
            return check
        }
    }

    /// Writes `tree` into a scratch directory beside the git directory and judges it there; the directory goes afterwards.
    private func judgeCheckout(of tree: OID, plan: [Gate], catalog: GateCatalog, cached: Set<String>) throws -> GateReport {
        let scratch = repository.commonDirectory + "aee/checkout-\(tree.hex.prefix(12))-\(getpid())/"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        } catch {
            throw RepositoryError.fileSystem(path: scratch, reason: "cannot create a checkout to judge the pushed commit in")
        }
        try repository.checkout(tree: tree, into: scratch)
        return try judge(tree, in: scratch, plan: plan, catalog: catalog, cached: cached, checkedOut: nil)
    }
}
