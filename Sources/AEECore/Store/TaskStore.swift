import Dispatch
import Git
#if canImport(Glibc)
import Glibc
#endif

/// Tasks kept in git: each change is one commit on `aee/<id>`, written into the object database and published by one compare-and-swap of the branch.
/// Nothing here reads or writes the index or the working tree.
public struct TaskStore {
    let repository: any RecordRepository
    /// Called with each new commit before its branch moves to it (nil: before the branch is deleted): a run through a
    /// remote pushes the commit there first, so the branch here never holds a step the remote refused. Throwing
    /// leaves the branch where it was.
    var beforeMoving: ((_ branch: String, _ commit: OID?) throws -> Void)? = nil
    /// Called once a branch has moved to new commits (or refused to): upkeep that must not fail the write, packing
    /// loose objects.
    var afterMoving: (() -> Void)? = nil
    /// What earlier listings learnt of the records they read (nil: every listing reads every record whole).
    var listCache: ListCache? = nil

    /// What `list` found: the records, and what could not be read (reported, not fatal).
    public struct Listing {
        public var tasks: [StoredRecord]
        public var problems: [String]
    }

    /// A record and the bytes it is stored as (canonical JSON when git aee wrote it).
    public struct StoredRecord: Sendable {
        public let record: TaskRecord
        public let json: [UInt8]
        /// The remote whose fetched branch holds it, for a task with no local branch.
        public var remote: String? = nil
    }

    /// One audit event and the commit that recorded it (nil when the commit could not be matched).
    public struct HistoryEntry {
        public let event: TaskEvent
        public let commit: String?
    }

    // MARK: Reading

    public func list(state: TaskState? = nil) throws -> Listing {
        return try doing("list the tasks") {
            let (tasks, problems) = try readEveryTask { reader, tip -> StoredRecord? in
                guard let location = try doing("read task \(tip.id)", { try reader.taskLocation(tip) }) else { return nil }
                let json = try doing("read task \(tip.id)") { try recordBlob(at: location, in: reader).bytes }
                return StoredRecord(record: try decode(json, at: location), json: json, remote: tip.remote)
            }
            return Listing(tasks: tasks.filter { state == nil || $0.record.state == state }.sorted { TaskRecord.createdBefore($0.record, $1.record) },
                           problems: problems)
        }
    }

    /// A record as stored, and what `list --json` sorts and filters it by; the rest of it is not decoded.
    public struct StoredJSON: Sendable {
        public let id: TaskID
        public let createdAt: Timestamp
        public let state: TaskState
        public let json: [UInt8]
        /// The remote whose fetched branch holds it, for a task with no local branch.
        public let remote: String?
    }

    /// Every task's record as stored, oldest first, and what could not be read: `list` without the decoding. For a
    /// task whose commit an earlier listing read, the list cache names the record's blob and what it sorts and
    /// filters by, so that blob is all that is read; the others are read and decoded (so checked) as `list` does.
    public func storedRecords(state: TaskState? = nil) throws -> (records: [StoredJSON], problems: [String]) {
        return try doing("list the tasks") {
            let known = listCache?.load() ?? [:]
            let (found, problems) = try readEveryTask { reader, tip -> (record: StoredJSON, key: ListCache.Key, entry: ListCache.Entry)? in
                guard let commit = try doing("read task \(tip.id)", { try tip.commit ?? reader.resolveReference(tip.id.branch) }) else { return nil }
                let key = ListCache.Key(commit: commit, id: tip.id)
                var entry = known[key]
                let json: [UInt8]
                if let known = entry {
                    json = try doing("read task \(tip.id)") { try reader.blob(known.blob) }
                } else {
                    let location = TaskLocation(id: tip.id, commit: commit, tree: try doing("read task \(tip.id)") { try reader.commit(commit).tree },
                                                branch: tip.branch, remote: tip.remote)
                    let blob = try doing("read task \(tip.id)") { try recordBlob(at: location, in: reader) }
                    let record = try decode(blob.bytes, at: location)
                    json = blob.bytes
                    entry = ListCache.Entry(blob: blob.oid, createdAt: record.createdAt, state: record.state)
                }
                return (StoredJSON(id: tip.id, createdAt: entry!.createdAt, state: entry!.state, json: json, remote: tip.remote), key, entry!)
            }
            // Written anew when it lacked a task or names one no longer there: it holds what this listing used.
            if let listCache, found.count != known.count || found.contains(where: { known[$0.key] == nil }) {
                listCache.save(Dictionary(found.map { ($0.key, $0.entry) }, uniquingKeysWith: { first, _ in first }))
            }
            let records = found.map(\.record).filter { state == nil || $0.state == state }
            return (records.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }, problems)
        }
    }

    /// `read` applied to every task (nil: its branch went meanwhile), spread over the cores, each chunk through a
    /// libgit2 handle of its own; what could not be read is a problem to report, not a failure of the whole.
    private func readEveryTask<T>(_ read: (any RecordRepository, TaskTip) throws -> T?) throws -> (found: [T], problems: [String]) {
        let results = try repository.taskTips().concurrentMap(context: { Result { try repository.handleForAnotherThread() } }) { reader, tip in
            Result { try read(try reader.get(), tip) }
        }
        var found: [T] = []
        var problems: [String] = []
        for result in results {
            switch result {
            case .success(let value?): found.append(value)
            case .success(nil): break
            case .failure(let error): problems.append("\(error)")
            }
        }
        return (found, problems)
    }

    /// The one task whose id starts with `prefix`.
    public func resolve(_ prefix: String) throws -> TaskID {
        return try doing("look up task \(prefix)") {
            let text = prefix.lowercased()
            guard TaskID.isPrefix(text) else { throw TaskError.invalidID(prefix) }
            // A whole id names one branch: one ref read, however many tasks there are.
            if let id = TaskID(text), try repository.resolveReference(id.branch) != nil { return id }
            let matches = try repository.taskIDs(startingWith: text).sorted()
            switch matches.count {
            case 0: throw TaskError.unknown(prefix)
            case 1: return matches[0]
            default: throw TaskError.ambiguous(prefix, candidates: matches)
            }
        }
    }

    public func record(of id: TaskID) throws -> TaskRecord {
        return try doing("read task \(id)") {
            try read(at: try location(of: id))
        }
    }

    /// How a task branch stands to a remote's fetched copy of it.
    public enum RemoteStanding: Equatable, Sendable {
        /// The remote's has moved on (a plain `git fetch` brought it; `git aee sync <remote>` brings it to the branch).
        case behind(String)
        /// Neither contains the other (`git aee sync <remote> --settle` takes the remote's).
        case diverged(String)
    }

    /// Where a task's record is read from.
    public enum Place: Equatable, Sendable {
        /// Its branch, `aee/<id>`, and how it stands to a remote's fetched copy that differs from it.
        case branch(RemoteStanding?)
        /// HEAD's history, where it was merged; its branch is gone.
        case merged
        /// Only a remote's fetched copy of its branch, `<remote>/aee/<id>`: a task a teammate shared.
        case remote(String)
    }

    public func place(of id: TaskID) throws -> Place {
        return try doing("find task \(id)") {
            let location = try location(of: id)
            if location.branch != nil {
                for (name, fetched) in try repository.references(matching: "refs/remotes/*/aee/\(id)") where fetched != location.commit {
                    let remote = String(name.dropFirst("refs/remotes/".count).dropLast("/aee/\(id)".count))
                    if try repository.isAncestor(location.commit, of: fetched) { return .branch(.behind(remote)) }
                    if try !repository.isAncestor(fetched, of: location.commit) { return .branch(.diverged(remote)) }
                }
                return .branch(nil)
            }
            return location.remote.map { .remote($0) } ?? .merged
        }
    }

    /// The commit `id`'s branch points at now.
    func tip(of id: TaskID) throws -> OID {
        guard let tip = try repository.resolveReference(id.branch) else { throw TaskError.noBranch(id) }
        return tip
    }

    /// The tip of every task branch, by id; no commit is read, so watching what moved is cheap.
    public func tips() throws -> [TaskID: OID] {
        try repository.taskBranches()
    }

    /// The tips of those of `ids` that have a branch: what a look at the branches that moved reads.
    func tips(of ids: Set<TaskID>) throws -> [TaskID: OID] {
        try Dictionary(uniqueKeysWithValues: ids.compactMap { id in try repository.resolveReference(id.branch).map { (id, $0) } })
    }

    /// The record in `tip`, a commit of `id`'s branch.
    public func record(of id: TaskID, at tip: OID) throws -> TaskRecord {
        try read(at: try repository.taskLocation(id, atBranchTip: tip))
    }

    /// The audit timeline, oldest first, each event paired with the commit that recorded it.
    public func history(of id: TaskID) throws -> [HistoryEntry] {
        return try doing("read task \(id)'s events") {
            let location = try location(of: id)
            let record = try read(at: location)
            let events = try readEvents(at: location)
            let stop = record.baseCommit.flatMap(OID.init(hex:))
            // Attempts hang off the task branch as merges' second parents, so those are followed; an agent's own commits
            // hang off a work item's commit the same way, and are not (their messages are the agent's, trailers and all).
            let walked = try repository.history(from: location.commit, excluding: stop).map { commit in
                (commit: commit, trailers: (try? Trailer.parse(commit.message)) ?? [])
            }
            let byID = Dictionary(walked.map { ($0.commit.oid, $0) }, uniquingKeysWith: { first, _ in first })
            var ours: Set<OID> = []
            var pending = [location.commit]
            while let next = pending.popLast() {
                guard let entry = byID[next], ours.insert(next).inserted else { continue }
                let event = entry.trailers.first { $0.key == "AEE-Event" }?.value ?? ""
                // Work items that ran side by side are the parents of the merge that brought them in.
                let merges = [TaskEvent.Kind.Named.iterationEnded, .workItemsMerged].contains(TaskEvent.Kind.named(event))
                pending += merges ? entry.commit.parents : Array(entry.commit.parents.prefix(1))
            }
            // A work item's event is told from another's by the item it names (side by side, they are committed in any order).
            func key(_ event: String, item: String?) -> String {
                TaskEvent.Kind.named(event) == .workItemEnded ? event + "\u{0}" + (item ?? "") : event
            }
            let commits = walked.compactMap { commit, trailers -> (String, String)? in
                guard ours.contains(commit.oid), trailers.contains(where: { $0.key == "AEE-Task" && $0.value == id.rawValue }),
                      let event = trailers.first(where: { $0.key == "AEE-Event" })?.value else { return nil }
                return (key(event, item: trailers.first { $0.key == "AEE-Work-Item" }?.value), commit.oid.hex)
            }
            // Each recording commit adds exactly one event, named by its AEE-Event trailer. Events are paired with the
            // first unused commit of the same name: a resumed run appends an attempt's events after its `resumed` one,
            // while the graph may order that attempt's first commits before it.
            var unused: [String: ArraySlice<String>] = [:]
            for (event, oid) in commits { unused[event, default: []].append(oid) }
            return events.map { event in
                HistoryEntry(event: event, commit: unused[key(event.event, item: event.details["work_item"])]?.popFirst())
            }
        }
    }

    /// The audit events in `tip` (default: the task branch's tip), oldest first.
    func events(of id: TaskID, at tip: OID? = nil) throws -> [TaskEvent] {
        guard let tip else { return try readEvents(at: try location(of: id)) }
        return try readEvents(at: try repository.taskLocation(id, atBranchTip: tip))
    }

    // MARK: Writing

    /// Records a new DRAFT task on a new branch `aee/<id>` that starts at `base` (its commit nil: a root commit, as on
    /// a branch with no commit yet, which `branch` still names), moved on through `moves` (a commit each) before the
    /// branch is made: the task appears in its last state, with every step in its history.
    public func create(title: String, metadata: TaskMetadata, base: (commit: OID?, branch: String?)?, identity: Identity,
                       then moves: [Move] = []) throws -> TaskRecord {
        return try doing("record the new task") {
            let title = try TaskTitle.validated(title)
            // A ref is a file: with `refs/heads/aee` present, no `refs/heads/aee/<id>` can exist.
            if try repository.resolveReference("refs/heads/aee") != nil { throw TaskError.namespaceTaken }
            let baseTree = try base?.commit.map { commit in try repository.commit(commit).tree }
            for _ in 0..<8 {
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                // Where in the record's second it is made: the clock's millisecond while the clock is in that second,
                // its end once the clock has just left it, and no order at all for a date fixed by GIT_COMMITTER_DATE.
                let elapsed = Int64(now.tv_sec) - identity.timestamp.seconds
                let id = TaskID.random(millisecond: elapsed == 0 ? now.tv_nsec / 1_000_000 : elapsed == 1 ? 999 : 0)
                // A record merged into HEAD keeps its id after its branch is deleted; never reuse one.
                if let baseTree, try repository.entry(at: id.recordDirectory, inTree: baseTree) != nil { continue }
                let record = TaskRecord(id: id, title: title, createdBy: identity.actor, at: identity.timestamp,
                                        baseCommit: base?.commit?.hex, baseBranch: base?.branch, metadata: metadata)
                let event = TaskEvent(time: identity.timestamp, kind: .created, actor: identity.actor, fromState: nil, toState: .draft)
                let message = CommitMessage(task: id, event: event.event, state: .draft, title: title)
                let created = try write(RecordChange(record: record, event: event, message: message), onto: baseTree,
                                        parents: base?.commit.map { [$0] } ?? [], identity: identity, log: [])
                let (tip, moved, events) = try write(moves, after: created, record: record, identity: identity, redactor: nil)
                do {
                    try publish(tip.commit, on: id.branch, expecting: nil, reflog: "aee: \(([event.event] + events).joined(separator: ", ")) \(id)")
                    return moved
                } catch let error as GitError where error.isExists {
                    continue
                }
            }
            throw TaskError.noFreeTaskID
        }
    }

    /// One move of a task's state: to `state`, recorded as `kind` (nil: the state machine's event for the move), with
    /// `note`, after `update` has changed the record.
    public struct Move {
        let state: TaskState
        let kind: TaskEvent.Kind?
        let note: String?
        let update: (inout TaskRecord) -> Void

        public init(to state: TaskState, kind: TaskEvent.Kind? = nil, note: String? = nil, update: @escaping (inout TaskRecord) -> Void = { _ in }) {
            self.state = state
            self.kind = kind
            self.note = note
            self.update = update
        }
    }

    /// Moves a task to `state`, recording who, when and why (`kind`: the event with its details, where the move has
    /// any); refuses moves the state machine does not allow. Returns the state the move started from and the new record.
    /// A run's moves pass its `redactor`: their note and details may quote an agent or a gate.
    @discardableResult
    public func transition(_ id: TaskID, to state: TaskState, kind: TaskEvent.Kind? = nil, note: String? = nil, identity: Identity,
                           redactor: Redactor? = nil, updating update: @escaping (inout TaskRecord) -> Void = { _ in }) throws -> (from: TaskState, record: TaskRecord) {
        try transition(id, through: [Move(to: state, kind: kind, note: note, update: update)], identity: identity, redactor: redactor)
    }

    /// Moves a task through `moves`, one commit each, and its branch once, to the last: the steps are taken together
    /// or not at all. Returns the state the first move started from and the new record.
    @discardableResult
    public func transition(_ id: TaskID, through moves: [Move], identity: Identity, redactor: Redactor? = nil) throws -> (from: TaskState, record: TaskRecord) {
        return try doing("move task \(id) to \(moves.map { "\($0.state)" }.joined(separator: ", then "))") {
            for attempt in 0..<12 {
                let location = try location(of: id)
                if let remote = location.remote { throw TaskError.onlyOnRemote(id, remote: remote) }
                guard location.branch != nil else { throw TaskError.noBranch(id) }
                let record = try read(at: location)
                let log = try repository.blob(at: id.eventLogPath, inTree: location.tree) ?? []
                let (tip, moved, events) = try write(moves, after: (location.commit, location.tree, log), record: record, identity: identity, redactor: redactor)
                do {
                    try publish(tip.commit, on: id.branch, expecting: location.commit, reflog: "aee: \(events.joined(separator: ", ")) \(id)")
                    return (record.state, moved)
                } catch let error as GitError where error.isModified || error.isLocked {
                    // Another writer moved the branch or holds its lock: read again and re-check the moves.
                    usleep(useconds_t(min(1 << attempt, 200) * 1000))
                }
            }
            throw TaskError.concurrentUpdate(id)
        }
    }

    /// The commits of `moves`, each on the one before, from `start` where `record` stands; refuses a move the state
    /// machine does not allow. Returns the last commit written, the record as it ends and the events' names.
    private func write(_ moves: [Move], after start: WrittenRecord, record: TaskRecord, identity: Identity,
                       redactor: Redactor?) throws -> (WrittenRecord, TaskRecord, [String]) {
        var record = record
        var tip = start
        var names: [String] = []
        for move in moves {
            let id = record.id
            guard let name = StateMachine.event(from: record.state, to: move.state), move.kind.map({ $0.name == name }) ?? true else {
                throw TaskError.illegalTransition(id, from: record.state, to: move.state)
            }
            let event = TaskEvent(time: identity.timestamp, kind: move.kind ?? TaskEvent.Kind(name: name, details: [:]), actor: identity.actor,
                                  fromState: record.state, toState: move.state)
            record.state = move.state
            record.updatedAt = identity.timestamp
            if move.state == .canceled { record.exitReason = .canceled }
            move.update(&record)
            let message = CommitMessage(task: id, event: name, state: move.state, title: record.title, note: redactor.map { move.note.map($0.redact) } ?? move.note)
            tip = try write(RecordChange(record: record, event: event, message: message, redactor: redactor), onto: tip.tree,
                            parents: [tip.commit], identity: identity, log: tip.log)
            names.append(name)
        }
        return (tip, record, names)
    }

    // MARK: Internals

    func location(of id: TaskID) throws -> TaskLocation {
        guard let location = try repository.taskLocation(id) else {
            throw TaskError.unknown(id.rawValue)
        }
        return location
    }

    /// The record at `location`, refused when its state is not the one its event log ends in (the log is the truth,
    /// the record a summary of it: a record edited by hand, or by a program that is not git aee, would otherwise
    /// decide what a run does).
    func read(at location: TaskLocation) throws -> TaskRecord {
        let record = try decode(try recordBlob(at: location, in: repository).bytes, at: location)
        let log = (try repository.blob(at: location.id.eventLogPath, inTree: location.tree)) ?? []
        // The last line only: a long task's log is not split whole on every read.
        let end = log.lastIndex { $0 != UInt8(ascii: "\n") }.map { $0 + 1 } ?? 0
        let line = log[(log[..<end].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)..<end]
        if !line.isEmpty,
           let last = try? JSONInput.decode(TaskEvent.self, from: Array(line), file: location.id.eventLogPath), last.toState != record.state {
            throw ConfigError.invalidFile(file: location.id.recordPath, key: "state",
                                          reason: "says \(record.state), but the event log ends in \(last.toState) (\(last.kind.name)); the record was changed outside git aee")
        }
        return record
    }

    private func recordBlob(at location: TaskLocation, in repository: any RecordRepository) throws -> (oid: OID, bytes: [UInt8]) {
        guard let entry = try repository.entry(at: location.id.recordPath, inTree: location.tree), !entry.isTree else {
            throw ConfigError.invalidFile(file: location.id.recordPath, key: "", reason: "missing from \(location.branch ?? "HEAD")")
        }
        return (entry.oid, try repository.blob(entry.oid))
    }

    private func decode(_ bytes: [UInt8], at location: TaskLocation) throws -> TaskRecord {
        let path = location.id.recordPath
        let record = try JSONInput.decode(TaskRecord.self, from: bytes, file: path)
        guard record.id == location.id else {
            throw ConfigError.invalidFile(file: path, key: "id", reason: "says \(record.id), but the record is filed under \(location.id)")
        }
        return record
    }

    func readEvents(at location: TaskLocation) throws -> [TaskEvent] {
        let path = location.id.eventLogPath
        let bytes = (try repository.blob(at: path, inTree: location.tree)) ?? []
        return try bytes.split(separator: UInt8(ascii: "\n")).enumerated().map { index, line in
            do {
                return try JSONInput.decode(TaskEvent.self, from: Array(line), file: path)
            } catch ConfigError.invalidFile(let file, let key, let reason) {
                throw ConfigError.invalidFile(file: "\(file) line \(index + 1)", key: key, reason: reason)
            }
        }
    }

    /// Writes `change` on top of `tree` as a commit with `parents` and moves `branch` from `expected` (nil: creates
    /// it); the event is appended to `log`, by default the log found in `tree`. `makeTree` builds the commit's tree from the record's
    /// updates (for a worktree: its index plus the updates, so no tree is written that the commit does not use);
    /// by default they are applied to `tree`. Returns the new commit.
    /// Objects first (blobs, trees along the record's path, the commit), then one ref update naming the value it expects:
    /// a crash at any point leaves either the old branch or the new one, never a half-written record.
    func commit(_ change: RecordChange, onto tree: OID?, parents: [OID], branch: String, expecting expected: OID?, identity: Identity,
                log: [UInt8]? = nil, makeTree: (([TreeUpdate]) throws -> OID)? = nil) throws -> OID {
        let written = try write(change, onto: tree, parents: parents, identity: identity, log: log, makeTree: makeTree)
        try publish(written.commit, on: branch, expecting: expected, reflog: "aee: \(change.message.event) \(change.record.id)")
        return written.commit
    }

    /// A record's commit as written: the commit, its tree, and the event log in it.
    typealias WrittenRecord = (commit: OID, tree: OID, log: [UInt8])

    /// The objects of `change`'s commit (blobs, the trees along the record's path, the commit), no ref moved.
    private func write(_ change: RecordChange, onto tree: OID?, parents: [OID], identity: Identity, log: [UInt8]?,
                       makeTree: (([TreeUpdate]) throws -> OID)? = nil) throws -> WrittenRecord {
        let id = change.record.id
        let log = try log ?? tree.flatMap { try repository.blob(at: id.eventLogPath, inTree: $0) } ?? []
        let redact = { (bytes: [UInt8]) in change.redactor?.redact(json: bytes) ?? bytes }
        let newLog = log + redact(try CanonicalJSON.compact(change.event)) + [UInt8(ascii: "\n")]
        let contents = [redact(try CanonicalJSON.encode(change.record)), newLog] + change.artifacts.map { redact($0.bytes) }
        let updates = try zip(change.paths, contents).map { TreeUpdate(path: $0, blob: try repository.writeBlob($1)) }
        let newTree = try makeTree?(updates) ?? repository.writeTree(base: tree, applying: updates)
        let commit = try repository.writeCommit(tree: newTree, parents: parents, author: identity.author, committer: identity.committer, message: change.message.text)
        return (commit, newTree, newLog)
    }

    /// Moves `branch` from `expected` (nil: creates it) to `commit`, whose objects are written: the one ref update
    /// that makes a change visible.
    private func publish(_ commit: OID, on branch: String, expecting expected: OID?, reflog: String) throws {
        defer { afterMoving?() }
        guard let beforeMoving else {
            return try repository.updateReference(branch, to: commit, expecting: expected, reflogMessage: reflog)
        }
        try beforeMoving(branch, commit)
        // The remote has the commit now: the branch here must follow. A fetch beside the run may have brought it here
        // already, and may hold the ref's lock for a moment.
        for attempt in 0..<12 {
            do {
                try repository.updateReference(branch, to: commit, expecting: expected, reflogMessage: reflog)
                return
            } catch let error as GitError where error.isModified || error.isLocked {
                if try repository.resolveReference(branch) == commit { return }
                if error.isModified || attempt == 11 { throw error }
                usleep(useconds_t(min(1 << attempt, 200) * 1000))
            }
        }
    }

    /// Deletes a branch of a run that is at `expected`, on the remote first when there is one.
    func deleteBranch(_ branch: String, expecting expected: OID) throws {
        try beforeMoving?(branch, nil)
        try repository.deleteReference(branch, expecting: expected)
    }
}

/// One commit's worth of change to a task: the record as it now is, one new event, and files for its directory.
struct RecordChange {
    var record: TaskRecord
    var event: TaskEvent
    /// Paths relative to the task's directory (`iterations/2/open_plan.json`) with their contents.
    var artifacts: [(path: String, bytes: [UInt8])] = []
    var message: CommitMessage
    /// Takes secrets out of the record, the event and the artifacts as they are written (a run's steps, which hold
    /// what agents, gates and hooks wrote); nil for changes made only of the user's own words.
    var redactor: Redactor?

    /// Where the commit puts its files, in the order `TaskStore.commit` writes them: the record, the event log, the
    /// artifacts.
    var paths: [String] {
        let id = record.id
        return [id.recordPath, id.eventLogPath] + artifacts.map { "\(id.recordDirectory)/\($0.path)" }
    }
}

extension RecordChange {
    /// A step inside iteration `iteration` of a run: the state stays RUNNING, the event and the commit say which
    /// iteration, and `record` is stamped with the identity's time.
    /// Everything it writes is redacted, the commit message too: it holds what agents, gates and hooks wrote (a plan's
    /// titles, output tails), and one path for all of it leaves nothing that could be forgotten.
    static func runStep(_ kind: TaskEvent.Kind, record: TaskRecord, iteration: Int, artifacts: [(path: String, bytes: [UInt8])],
                        title: String, note: String? = nil, trailers: [(key: String, value: String)] = [], redactor: Redactor,
                        identity: Identity) -> RecordChange {
        var record = record
        record.updatedAt = identity.timestamp
        return RecordChange(
            record: record,
            event: TaskEvent(time: identity.timestamp, kind: kind, actor: identity.actor, fromState: .running, toState: .running),
            artifacts: artifacts,
            message: CommitMessage(task: record.id, event: kind.name, state: .running, title: redactor.redact(title), note: note.map(redactor.redact),
                                   trailers: [("AEE-Iteration", String(iteration))] + trailers),
            redactor: redactor)
    }
}
