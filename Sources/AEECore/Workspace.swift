import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The repository a command runs in, with the configuration git would apply there; the CLI's one door into the core.
public final class Workspace {
    let repository: Repository
    public let settings: Settings
    let environment: [String: String]
    /// `--trust`: run the commands of `.aee/config.json` without asking for the user's approval (see `Workspace+Trust`).
    public var trustsAllCommands = false
    /// The commit whose `.aee/config.json` is read (the one a task starts from); nil: the working tree's.
    private(set) var configCommit: OID?
    /// That commit, when its config is not the working tree's: `git aee trust` alone would approve the wrong one.
    private(set) var configCommitDiffering: OID?
    /// The config of `configCommit` once read: a commit's file cannot change, and a run asks for it several times.
    private var configOfCommit: (commit: OID, config: ProjectConfig?)?
    /// Branch moves made through this handle's stores, which count loose objects after the first and every 16th.
    private var moves = 0

    init(repository: Repository, settings: Settings, environment: [String: String]) {
        self.repository = repository
        self.settings = settings
        self.environment = environment
    }

    /// Opens the repository git would use here: `GIT_DIR`/`GIT_WORK_TREE`, else the nearest one above the current directory.
    public static func open(environment: [String: String]) throws -> Workspace {
        let repository: Repository
        do {
            repository = try Repository.openFromEnvironment()
        } catch let error as GitError where error.isNotFound || error.isOwnerMismatch {
            if let path = Repository.foreignRepository(above: environment["GIT_DIR"] ?? FileManager.default.currentDirectoryPath) {
                throw RepositoryError.dubiousOwnership(path: path)
            }
            throw RepositoryError.notARepository(error)
        } catch let error as GitError where error.message.hasPrefix("unsupported extension name ") {
            throw RepositoryError.unsupportedRepository(extension: String(error.message.dropFirst("unsupported extension name ".count)))
        }
        let settings = Settings(commandLine: CommandLineConfig(environment: environment), files: try repository.configuration())
        // libgit2 reads SHA-1 object names only (it is told the extension is known, so that `sha1` opens).
        if let format = try settings.string("extensions.objectformat"), format.lowercased() != "sha1" {
            throw RepositoryError.unsupportedRepository(extension: "extensions.objectformat")
        }
        return Workspace(repository: repository, settings: settings, environment: environment)
    }

    public var store: TaskStore {
        var store = TaskStore(repository: repository)
        store.listCache = ListCache(path: repository.commonDirectory + "aee/list-cache")
        store.afterMoving = { [self] in
            // Counting costs about what a move does (it reads a sixteenth of the fan-out directories), and 16 moves
            // write some hundred objects, so not after every one.
            defer { moves += 1 }
            guard moves % 16 == 0 else { return }
            // Upkeep: when it cannot run (a bad aee.autoPack, a full disk) the objects stay loose, for git's own gc.
            guard let threshold = try? Self.autoPackThreshold(settings), threshold > 0 else { return }
            try? repository.packLooseObjects(ifMoreThan: threshold)
        }
        return store
    }

    /// `aee.autoPack`: how many loose objects git aee leaves before it packs them (0: never).
    static func autoPackThreshold(_ settings: Settings) throws -> Int {
        try settings.int("aee.autoPack", in: 0...Int(Int32.max)) ?? 1024
    }

    /// The same repository and settings through handles of its own, for work on another thread: a libgit2 handle
    /// is one thread's at a time.
    func twin() throws -> Workspace {
        let handle = try Repository.open(at: repository.gitDirectory, searching: false)
        let twin = Workspace(repository: handle, settings: Settings(commandLine: settings.commandLine, files: try handle.configuration()),
                             environment: environment)
        twin.trustsAllCommands = trustsAllCommands
        twin.configCommit = configCommit
        twin.configCommitDiffering = configCommitDiffering
        return twin
    }

    /// What to call the repository: its working tree's folder, or its git directory's for a bare one.
    public var name: String {
        let path = repository.workingDirectory ?? repository.commonDirectory
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The working tree's root (with a trailing slash); refuses in a bare repository.
    public func workingDirectory(for command: String) throws -> String {
        guard let directory = repository.workingDirectory else { throw RepositoryError.needsWorkTree(command: command) }
        return directory
    }

    public func identity() throws -> Identity {
        try Identity.resolve(settings: settings, environment: environment)
    }

    /// The team's `.aee/config.json`: the one of the commit a task starts from once `useConfig` named it, else the
    /// working tree's; nil when there is none.
    public func projectConfig() throws -> ProjectConfig? {
        if let configCommit {
            if let configOfCommit, configOfCommit.commit == configCommit { return configOfCommit.config }
            let config = try ProjectConfig.load(commit: configCommit, in: repository)
            configOfCommit = (configCommit, config)
            return config
        }
        guard let directory = repository.workingDirectory else { return nil }
        return try ProjectConfig.load(workingDirectory: directory)
    }

    /// From now on reads `.aee/config.json` from the commit a new task starts from, HEAD's (the working tree's while
    /// HEAD has no commit), so uncommitted edits do not change what the task runs and is judged by. Returns whether
    /// the working tree's file differs from it.
    public func useConfigOfHead() throws -> Bool {
        return try doing("read HEAD's .aee/config.json") {
            guard let head = try repository.head().commit else { return false }
            return try useConfig(of: head)
        }
    }

    /// The same for an existing task: the config of the commit it started from, however the working tree's or its
    /// branch's (where an agent may have edited it) changed since.
    public func useConfig(of record: TaskRecord) throws -> Bool {
        return try doing("read the .aee/config.json task \(record.id) started from") {
            guard let hex = record.baseCommit, let base = OID(hex: hex) else { return false }
            guard (try? repository.commit(base)) != nil else { throw TaskError.baseCommitMissing(record.id, commit: hex) }
            return try useConfig(of: base)
        }
    }

    /// The same for the commit `revision` names (`git aee trust <commit>`).
    public func useConfig(ofRevision revision: String) throws {
        try doing("read the .aee/config.json of \(revision)") {
            guard let commit = try repository.commit(named: revision) else { throw RepositoryError.unknownRevision(revision) }
            _ = try useConfig(of: commit)
        }
    }

    private func useConfig(of commit: OID) throws -> Bool {
        configCommit = commit
        let committed = try repository.blob(at: ProjectConfig.path, inTree: try repository.commit(commit).tree)
        let working = repository.workingDirectory.flatMap { FileManager.default.contents(atPath: $0 + ProjectConfig.path) }.map { [UInt8]($0) }
        let differs = committed != working
        configCommitDiffering = differs ? commit : nil
        return repository.workingDirectory != nil && differs
    }

    /// The paths of the working tree that differ from HEAD (staged, changed or untracked): what a task, which starts
    /// from HEAD, does not get.
    public func localChanges() throws -> [String] {
        return try doing("compare the working tree with HEAD") {
            guard repository.workingDirectory != nil else { return [] }
            return try repository.changedPaths()
        }
    }

    /// Whether output may be coloured as far as configuration goes (`color.aee`, then `color.ui`): nil means "when stdout is a terminal".
    public func colorPreference() throws -> Bool? {
        for key in ["color.aee", "color.ui"] {
            guard let value = try settings.string(key) else { continue }
            switch value.lowercased() {
            case "always": return true
            case "auto": return nil
            case "never": return false
            default:
                // git reads `true` as "auto" and `false`/`never` as off.
                guard let flag = Config.parseBool(value) else { throw ConfigError.invalidSetting(key: key, value: value, expected: "always, auto, never, true or false") }
                return flag ? nil : false
            }
        }
        return nil
    }

    /// The settings a task created with `options` would get.
    public func taskMetadata(_ options: TaskOptions) throws -> TaskMetadata {
        try options.metadata(config: try projectConfig(), settings: settings)
    }

    /// Creates a DRAFT task on `aee/<id>` from the commit HEAD points at, moved on through `moves` before it appears.
    public func createTask(title: String, metadata: TaskMetadata, then moves: [TaskStore.Move] = []) throws -> (record: TaskRecord, identity: Identity) {
        return try doing("create the task") {
            _ = try workingDirectory(for: "task")
            let identity = try identity()
            let head = try repository.head()
            let base = (commit: head.commit, branch: head.branchName)
            // The title goes into every commit of the task: a secret typed into it (`"use $API_KEY"`) is redacted
            // once, here, as everything else committed is.
            let title = Redactor(environment: environment).redact(title)
            return (try store.create(title: title, metadata: metadata, base: base, identity: identity, then: moves), identity)
        }
    }

    /// Writes the starter `.aee/config.json` into the working tree; returns the file written and what the commands were guessed from.
    public func writeStarterConfig(force: Bool) throws -> (file: String, guessedFrom: String?) {
        return try doing("write the starter .aee/config.json") {
            let root = try workingDirectory(for: "init")
            let file = root + ProjectConfig.path
            if !force, FileManager.default.fileExists(atPath: file) { throw ConfigError.configExists(file: ProjectConfig.path) }
            let (config, marker) = StarterConfig.guess(workingDirectory: root)
            do {
                try makeRealDirectory(root + ".aee", levels: 0)
                // Written to a temporary file and renamed, so a crash never leaves half a config.
                try replaceFile(file, with: try CanonicalJSON.encode(config))
            } catch let error as GitError {
                throw RepositoryError.fileSystem(path: ProjectConfig.path, reason: "cannot be written (\(error.reason))")
            }
            // Commands the user just had written for them are theirs: approved, so the next run does not ask.
            _ = try trustProjectCommands()
            return (ProjectConfig.path, marker)
        }
    }
}
