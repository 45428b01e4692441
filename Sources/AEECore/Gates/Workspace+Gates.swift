import Git

extension Workspace {
    /// Runs `names` (the default gates when empty, plus what they need) against the working tree as it is now,
    /// untracked files included; passes already recorded for this tree are not run again unless `useCache` is false.
    public func judgeWorkingTree(_ names: [String], useCache: Bool, jobs: Int? = nil, events: @escaping @Sendable (GateEvent) -> Void = { _ in }) throws -> GateReport {
        return try doing("judge the working tree") {
            let root = try workingDirectory(for: "gate")
            let catalog = try GateCatalog(config: try projectConfig(), settings: settings)
            let plan = try catalog.plan(names)
            let tree = try repository.workingTreeTree()
            let cached = useCache ? try cachedPasses(plan, tree: tree) : []
            try requireTrust(catalog.projectCommands(of: plan.filter { !cached.contains($0.name) }))
            return try judge(tree, in: root, plan: plan, catalog: catalog, cached: cached, checkedOut: repository, jobs: jobs, events: events)
        }
    }

    /// The gates of `plan` that already passed `tree`, by name; with `asOf`, as the notes stood in that commit.
    func cachedPasses(_ plan: [Gate], tree: OID, asOf: OID? = nil) throws -> Set<String> {
        let cache = PassCache(repository: repository, asOf: asOf)
        let judged = try repository.judgedTree(tree)
        return Set(plan.filter { cache.hasPassed($0, tree: judged) }.map(\.name))
    }

    /// Judges `tree` with the gates checked out in `directory`, taking the gates in `cached` as passed; records fresh passes.
    /// `checkedOut` is the repository whose working tree `directory` is, which the doctor also checks (its index, its
    /// conflicts); nil for a plain copy of a commit's files. The caller has checked that the user approved the commands
    /// that will run (`requireTrust`).
    func judge(_ tree: OID, in directory: String, plan: [Gate], catalog: GateCatalog, cached: Set<String>, checkedOut: Repository?,
               jobs: Int? = nil, review: (@Sendable (Gate) -> GateResult)? = nil, events: @escaping @Sendable (GateEvent) -> Void = { _ in }) throws -> GateReport {
        let tree = try repository.judgedTree(tree)
        var verdict: (problems: [String], milliseconds: Int) = ([], 0)
        if plan.contains(where: { $0.definition.builtin == "doctor" && !cached.contains($0.name) }) {
            let doctor = Doctor(workingTree: checkedOut, root: directory, catalog: catalog, path: environment["PATH"] ?? "", home: environment["HOME"])
            let started = Subprocess.now()
            verdict = (try doctor.problems(), Int((Subprocess.now() - started) * 1000))
        }
        var runner = GateRunner(directory: directory, environment: GateRunner.gateEnvironment(from: environment), tree: tree.hex,
                                doctor: verdict, now: { Timestamp.now },
                                jobs: try jobs ?? settings.int("aee.gateJobs", in: 1...256) ?? GateRunner.cores)
        runner.graceSeconds = try killGraceSeconds()
        runner.review = review
        let results = runner.run(plan, cached: cached, events: events)
        let fresh = results.filter { $0.passed && !$0.cached }.compactMap { result in plan.first { $0.name == result.gate } }
        try PassCache(repository: repository).record(fresh, tree: tree, identity: try identity())
        return GateReport(tree: tree.hex, results: results)
    }
}

extension Workspace {
    /// `aee.killGraceSeconds`: how long what an agent or a gate started has to stop once asked, before SIGKILL.
    func killGraceSeconds() throws -> Double {
        Double(try settings.int("aee.killGraceSeconds", in: 0...3600) ?? Int(Subprocess.defaultGraceSeconds))
    }
}

extension Repository {
    /// The tree gates are said to judge: `tree` without the task records under `.aee/tasks`, which no gate reads and
    /// every step of a task changes; so a pass found by a task still counts when its commits are pushed.
    func judgedTree(_ tree: OID) throws -> OID {
        try treeID(tree, removing: ".aee/tasks")
    }
}
