import Git

/// Where a task's record was found: the tip of its branch, or HEAD after the branch was merged and deleted.
struct TaskLocation {
    let id: TaskID
    /// The commit whose tree holds the record.
    let commit: OID
    let tree: OID
    /// The task's branch, or nil when the record is only reachable from HEAD.
    let branch: String?
}

extension Repository {
    static let taskBranchPrefix = "refs/heads/aee/"

    /// The tips of all task branches, by id; other branches under `aee/` (attempts, the user's own) are not tasks.
    func taskBranches() throws -> [TaskID: OID] {
        var tips: [TaskID: OID] = [:]
        for (name, target) in try references(matching: Self.taskBranchPrefix + "*") {
            if let id = TaskID(String(name.dropFirst(Self.taskBranchPrefix.count))) { tips[id] = target }
        }
        return tips
    }

    /// Ids with a record in HEAD's tree (merged tasks), and that tree.
    func mergedTasks() throws -> (ids: [TaskID], head: OID, tree: OID)? {
        guard let head = try head().commit else { return nil }
        let tree = try commit(head).tree
        guard let tasks = try entry(at: ".aee/tasks", inTree: tree), tasks.isTree else { return nil }
        let ids = try entries(ofTree: tasks.oid).compactMap { $0.isTree ? TaskID($0.name) : nil }
        return (ids, head, tree)
    }

    /// Every task this repository knows: one per `refs/heads/aee/<id>` branch, plus records in HEAD's tree whose branch is gone.
    func taskLocations() throws -> [TaskLocation] {
        let branches = try taskBranches()
        var locations = try branches.map { try taskLocation($0, atBranchTip: $1) }
        if let merged = try mergedTasks() {
            for id in merged.ids where branches[id] == nil {
                locations.append(TaskLocation(id: id, commit: merged.head, tree: merged.tree, branch: nil))
            }
        }
        return locations
    }

    /// All task ids, without reading any commit of a task branch.
    func taskIDs() throws -> Set<TaskID> {
        Set(try taskBranches().keys).union(try mergedTasks()?.ids ?? [])
    }

    /// The record of `id` in `tip`, a commit of its branch.
    func taskLocation(_ id: TaskID, atBranchTip tip: OID) throws -> TaskLocation {
        TaskLocation(id: id, commit: tip, tree: try commit(tip).tree, branch: id.branch)
    }

    /// Where one task's record is, looked up directly by its branch name.
    func taskLocation(_ id: TaskID) throws -> TaskLocation? {
        if let tip = try resolveReference(id.branch) { return try taskLocation(id, atBranchTip: tip) }
        guard let merged = try mergedTasks(), merged.ids.contains(id) else { return nil }
        return TaskLocation(id: id, commit: merged.head, tree: merged.tree, branch: nil)
    }
}
