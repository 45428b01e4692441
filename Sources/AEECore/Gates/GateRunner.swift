import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a gate run reports as it goes, for a live display.
public enum GateEvent: Sendable {
    case started(String)
    case finished(GateResult)
}

/// Runs gates against one checked-out tree: each as soon as everything it needs has passed, in parallel up to the
/// number of cores; a gate whose need did not pass is skipped, saying which.
struct GateRunner: Sendable {
    let directory: String
    /// The environment gates start from (git's repository variables already removed).
    let environment: [String: String]
    let tree: String
    /// What the built-in `doctor` gate found (problems, one per line) and how long it took; checked before the
    /// run because it reads the repository, whose libgit2 handle must not cross threads.
    let doctor: (problems: [String], milliseconds: Int)
    let now: @Sendable () -> Timestamp
    /// How many gates may run at once.
    let jobs: Int
    /// How long what a gate started has to stop once asked (a timeout, an interrupt, the end of the gate).
    var graceSeconds = Subprocess.defaultGraceSeconds
    /// Runs a review gate: a task's run hands its attempt's change to the reviewing agent. Nil outside a task, where a
    /// review gate has nothing to review and is skipped (only a pass remembered for the tree counts).
    var review: (@Sendable (Gate) -> GateResult)?

    /// The default for `jobs`: one gate per core, as CPU-bound test suites want (`aee.gateJobs` or `--jobs` raise it for waiting gates).
    static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    static let outputCap = 16 * 1024

    /// Results in the order of `plan`; gates named in `cached` are reported as cached passes without running.
    func run(_ plan: [Gate], cached: Set<String>, events: @escaping @Sendable (GateEvent) -> Void = { _ in }) -> [GateResult] {
        let results = Mutex<[String: GateResult]>([:])
        let started = Mutex<Set<String>>([])
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: max(1, jobs))

        // A review gate comes last: it needs every other gate of the plan (no review of a change that fails them, and
        // no gate runs while the reviewing agent is in the workspace).
        let others = plan.filter { !$0.definition.isReview }.map(\.name)
        let needs = Dictionary(plan.map { ($0.name, $0.definition.needs + ($0.definition.isReview ? others : [])) }) { first, _ in first }

        // Starts every gate whose needs are settled; called at the start and whenever a gate finishes.
        @Sendable func launchReady() {
            for gate in plan {
                let needed = needs[gate.name] ?? []
                let decided: GateResult?? = results.withLock { done in
                    guard done[gate.name] == nil, needed.allSatisfy({ done[$0] != nil }) else { return .none }
                    let claimed = started.withLock { $0.insert(gate.name).inserted }
                    guard claimed else { return .none }
                    if let failed = needed.first(where: { done[$0]?.passed != true }) {
                        let skipped = GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: .skipped,
                                                 outputTail: "skipped: '\(failed)' did not pass", at: now())
                        done[gate.name] = skipped
                        return .some(skipped)
                    }
                    if cached.contains(gate.name) {
                        let hit = GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: .passed, cached: true, at: now())
                        done[gate.name] = hit
                        return .some(hit)
                    }
                    return .some(nil)
                }
                switch decided {
                case .none:
                    continue
                case .some(.some):
                    launchReady()
                    return
                case .some(.none):
                    group.enter()
                    // A queue of its own per gate: libdispatch's global queue runs one thread per core and a gate
                    // blocks its thread while it waits, so --jobs above the core count would never be reached.
                    DispatchQueue(label: "git-aee.gate.\(gate.name)").async {
                        slots.wait()
                        events(.started(gate.name))
                        let result = execute(gate)
                        events(.finished(result))
                        slots.signal()
                        results.withLock { $0[gate.name] = result }
                        launchReady()
                        group.leave()
                    }
                }
            }
        }

        launchReady()
        group.wait()
        let done = results.withLock { $0 }
        return plan.compactMap { done[$0.name] }
    }

    func execute(_ gate: Gate) -> GateResult {
        let at = now()
        if gate.definition.isReview {
            return review?(gate) ?? GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: .skipped,
                                               outputTail: "not run: a review gate judges a task's attempt (git aee task, run); outside one only a review that approved this tree counts\n", at: at)
        }
        if gate.definition.builtin != nil {
            return GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: doctor.problems.isEmpty ? .passed : .failed,
                              durationMilliseconds: doctor.milliseconds, outputTail: doctor.problems.map { $0 + "\n" }.joined(), at: at)
        }
        var process = Subprocess.shell(gate.definition.run ?? "false", directory: directory,
                                       environment: environment.merging(gate.definition.env) { $1 },
                                       timeoutSeconds: Double(gate.definition.timeoutSeconds))
        process.outputCap = Self.outputCap
        process.graceSeconds = graceSeconds
        do {
            let outcome = try process.run()
            var status: GateResult.Status = outcome.timedOut ? .timedOut : (outcome.exitCode == 0 ? .passed : .failed)
            var tail = String(decoding: outcome.output, as: UTF8.self)
            if outcome.timedOut { tail += "\n[git aee: killed after \(gate.definition.timeoutSeconds)s]\n" }
            // Asked to stop (an interrupt, a run stopping), it did not finish judging: a clean exit is no pass, and
            // must never be cached as one.
            if outcome.stopped, status == .passed {
                status = .failed
                tail += "\n[git aee: stopped before it finished]\n"
            }
            return GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: status, exitCode: outcome.exitCode,
                              durationMilliseconds: Int(outcome.seconds * 1000), outputTail: tail, outputDroppedBytes: outcome.droppedBytes, at: at)
        } catch {
            return GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: .failed, outputTail: "\(error)\n", at: at)
        }
    }

    /// The variables git exports to hooks and subcommands about *its* repository (`git rev-parse --local-env-vars`);
    /// a gate that runs git must see the tree it judges instead.
    static let gitRepositoryVariables: Set<String> = [
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_OBJECT_DIRECTORY",
        "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
    ]

    static func gateEnvironment(from environment: [String: String]) -> [String: String] {
        environment.filter { !gitRepositoryVariables.contains($0.key) && !$0.key.hasPrefix("GIT_CONFIG_KEY_") && !$0.key.hasPrefix("GIT_CONFIG_VALUE_") }
    }
}
