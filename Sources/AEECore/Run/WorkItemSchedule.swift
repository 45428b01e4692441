/// Which of a plan's work items run next: the items whose dependencies are done, side by side, up to `jobs` at a
/// time; a plan that names no dependencies, or a run with one job, runs them one by one in plan order.
struct WorkItemSchedule {
    let items: [WorkItem]
    let jobs: Int

    /// Whether items may run side by side at all: more than one job, and a plan that said what depends on what.
    var isParallel: Bool { jobs > 1 && items.contains { $0.dependsOn != nil } }

    /// The items item `index` needs done first: those it names, or (when it names none) every earlier one.
    func prerequisites(of index: Int) -> [String] {
        items[index].dependsOn ?? items.prefix(index).map(\.id)
    }

    /// The indices of the next wave: the items not done whose prerequisites are all done, in plan order (only the
    /// first of them unless the schedule is parallel). Empty when every item is done. Never empty otherwise: the
    /// first item not done depends on earlier items only, which are all done.
    func wave(done: Set<String>) -> [Int] {
        let waiting = items.indices.filter { !done.contains(items[$0].id) }
        guard let first = waiting.first else { return [] }
        guard isParallel else { return [first] }
        return waiting.filter { prerequisites(of: $0).allSatisfy(done.contains) }
    }
}
