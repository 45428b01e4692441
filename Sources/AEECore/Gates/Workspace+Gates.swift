import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Workspace {
    /// Runs `names` (the default gates when empty, plus what they need) against the working tree as it is now,
    /// untracked files included; passes already recorded for this tree are not run again unless `useCache` is false.
    public func judgeWorkingTree(_ names: [String], useCache: Bool, jobs: Int? = nil, events: @escaping @Sendable (GateEvent) -> Void = { _ in }) throws -> GateReport {
        let root = try workingDirectory(for: "gate")
        let catalog = try GateCatalog(config: try projectConfig(), settings: settings)
        return try judge(try repository.workingTreeTree(), in: root, plan: try catalog.plan(names), catalog: catalog,
                         useCache: useCache, isWorkingTree: true, jobs: jobs, events: events)
    }

    /// Judges `tree` with the gates checked out in `directory`; records fresh passes in the cache.
    func judge(_ tree: OID, in directory: String, plan: [Gate], catalog: GateCatalog, useCache: Bool, isWorkingTree: Bool,
               jobs: Int? = nil, events: @escaping @Sendable (GateEvent) -> Void = { _ in }) throws -> GateReport {
        let cache = PassCache(repository: repository)
        let cached = useCache ? Set(plan.filter { cache.hasPassed($0, tree: tree) }.map(\.name)) : []
        var verdict: (problems: [String], milliseconds: Int) = ([], 0)
        if plan.contains(where: { $0.definition.builtin != nil && !cached.contains($0.name) }) {
            let doctor = Doctor(repository: repository, root: directory, catalog: catalog, path: environment["PATH"] ?? "", checksWorkingTree: isWorkingTree)
            let started = Subprocess.now()
            verdict = (try doctor.problems(), Int((Subprocess.now() - started) * 1000))
        }
        let runner = GateRunner(directory: directory, environment: GateRunner.gateEnvironment(from: environment), tree: tree.hex,
                                doctor: verdict, now: { Timestamp(seconds: Int64(Date().timeIntervalSince1970)) },
                                jobs: try jobs ?? settings.int("aee.gateJobs", in: 1...256) ?? GateRunner.cores)
        let results = runner.run(plan, cached: cached, events: events)
        let fresh = results.filter { $0.passed && !$0.cached }.compactMap { result in plan.first { $0.name == result.gate } }
        try cache.record(fresh, tree: tree, identity: try identity())
        return GateReport(tree: tree.hex, results: results)
    }
}
