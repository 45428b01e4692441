import Git

/// Where a task's record was found: the tip of its branch, or HEAD after the branch was merged and deleted.
struct TaskLocation {
    let id: TaskID
    /// The commit whose tree holds the record.
    let commit: OID
    let tree: OID
    /// The task's branch, or nil when the record is only reachable from HEAD or a remote's branch.
    let branch: String?
    /// The remote whose copy of the task's branch (`refs/remotes/<remote>/aee/<id>`, fetched) holds the record, when
    /// there is no local one: a task a teammate shared.
    var remote: String? = nil
}

/// A task and the commit that holds its record, before that commit is read.
struct TaskTip {
    let id: TaskID
    /// Nil for a task branch, read when the record is (a list reads its refs on several threads).
    let commit: OID?
    let branch: String?
    var remote: String? = nil
}

/// Where task branches live: `refs/heads/aee/<id>`.
let taskBranchPrefix = "refs/heads/aee/"

extension RecordRepository {

    /// The tips of all task branches, by id; other branches under `aee/` (attempts, the user's own) are not tasks.
    func taskBranches() throws -> [TaskID: OID] {
        var tips: [TaskID: OID] = [:]
        for (name, target) in try references(matching: taskBranchPrefix + "*") {
            if let id = TaskID(String(name.dropFirst(taskBranchPrefix.count))) { tips[id] = target }
        }
        return tips
    }

    /// Ids with a record in HEAD's tree (merged tasks), and that tree.
    func mergedTasks() throws -> (ids: [TaskID], head: OID, tree: OID)? {
        guard let head = try headCommit() else { return nil }
        let tree = try commit(head).tree
        guard let tasks = try entry(at: ".aee/tasks", inTree: tree), tasks.isTree else { return nil }
        let ids = try entries(ofTree: tasks.oid).compactMap { $0.isTree ? TaskID($0.name) : nil }
        return (ids, head, tree)
    }

    /// The fetched copies of the remotes' task branches (`refs/remotes/<remote>/aee/<id>`; those whose id starts
    /// with `prefix`), by id: one remote's per id, `origin` first, else the first by name.
    func remoteTaskBranches(startingWith prefix: String = "") throws -> [TaskID: (remote: String, tip: OID)] {
        var tips: [TaskID: (remote: String, tip: OID)] = [:]
        for (name, target) in try references(matching: "refs/remotes/*/aee/" + prefix + "*") {
            // `<remote>/aee/<id>`, where a remote's name may hold a slash.
            let parts = name.dropFirst("refs/remotes/".count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count >= 3, parts[parts.count - 2] == "aee", let id = TaskID(String(parts[parts.count - 1])) else { continue }
            let remote = parts.dropLast(2).joined(separator: "/")
            if let known = tips[id], known.remote == "origin" || (remote != "origin" && known.remote < remote) { continue }
            tips[id] = (remote, target)
        }
        return tips
    }

    /// Every task this repository knows, by the commit whose tree holds its record: one per `refs/heads/aee/<id>`
    /// branch, plus records in HEAD's tree whose branch is gone, plus tasks only a remote's fetched branch holds. No
    /// task's commit is read.
    func taskTips() throws -> [TaskTip] {
        let branches = Set(referenceNames(in: taskBranchPrefix, startingWith: "").compactMap { TaskID(String($0.dropFirst(taskBranchPrefix.count))) })
        var tips = branches.map { TaskTip(id: $0, commit: nil, branch: $0.branch) }
        let merged = try mergedTasks()
        for id in merged?.ids ?? [] where !branches.contains(id) {
            tips.append(TaskTip(id: id, commit: merged!.head, branch: nil))
        }
        let known = branches.union(merged?.ids ?? [])
        for (id, shared) in try remoteTaskBranches() where !known.contains(id) {
            tips.append(TaskTip(id: id, commit: shared.tip, branch: nil, remote: shared.remote))
        }
        return tips
    }

    /// Where the record `tip` names is; nil when its branch was deleted since it was listed.
    func taskLocation(_ tip: TaskTip) throws -> TaskLocation? {
        guard let commit = try tip.commit ?? resolveReference(tip.id.branch) else { return nil }
        return TaskLocation(id: tip.id, commit: commit, tree: try self.commit(commit).tree, branch: tip.branch, remote: tip.remote)
    }

    /// The ids that start with `prefix` (an id's characters only), without reading any task branch: their names
    /// only, and of the remotes' copies only those that match.
    func taskIDs(startingWith prefix: String) throws -> Set<TaskID> {
        Set(referenceNames(in: taskBranchPrefix, startingWith: prefix).compactMap { TaskID(String($0.dropFirst(taskBranchPrefix.count))) })
            .union(try mergedTasks()?.ids.filter { $0.rawValue.hasPrefix(prefix) } ?? [])
            .union(try remoteTaskBranches(startingWith: prefix).keys)
    }

    /// The record of `id` in `tip`, a commit of its branch.
    func taskLocation(_ id: TaskID, atBranchTip tip: OID) throws -> TaskLocation {
        TaskLocation(id: id, commit: tip, tree: try commit(tip).tree, branch: id.branch)
    }

    /// Where one task's record is, looked up directly by its branch name.
    func taskLocation(_ id: TaskID) throws -> TaskLocation? {
        if let tip = try resolveReference(id.branch) { return try taskLocation(id, atBranchTip: tip) }
        if let merged = try mergedTasks(), merged.ids.contains(id) {
            return TaskLocation(id: id, commit: merged.head, tree: merged.tree, branch: nil)
        }
        guard let shared = try remoteTaskBranches(startingWith: id.rawValue)[id] else { return nil }
        return TaskLocation(id: id, commit: shared.tip, tree: try commit(shared.tip).tree, branch: nil, remote: shared.remote)
    }
}
