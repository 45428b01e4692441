import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs the agent in the task's workspace, in a process group of its own, with a timeout and an output cap: a command
/// under the documented contract (docs/agents.md: `/bin/sh -c`, the `AEE_*` files, the prompt on stdin), or a built-in
/// agent's CLI, whose output is read into the same terms.
struct AgentDriver {
    /// What runs.
    enum Program {
        case command(String)
        case builtIn(any AgentCLI, path: String, model: String?, arguments: [String], prices: ModelPrices)
    }

    var program: Program
    let timeoutSeconds: Double
    /// How long what the agent started has to stop once asked (a timeout, an interrupt, the end of the call).
    let graceSeconds: Double
    /// The task's workspace, where the agent works.
    var directory: String
    /// A directory outside the workspace for the files handed over (ends with `/`).
    var scratch: String
    /// The environment the agent starts from, git's repository variables removed.
    var environment: [String: String]
    /// Asked now and then while the agent runs; true stops it as a timeout would (a work item beside it failed).
    var stopRequested: (@Sendable () -> Bool)?
    /// Told what a built-in agent is doing now, as its output says (`Edit calc.sh`).
    var activity: @Sendable (String) -> Void = { _ in }

    /// The exit code by which an agent says it needs a human.
    static let needsHumanExitCode: Int32 = 3
    /// Output kept from an agent call; the artifacts keep the last `artifactTail` bytes of it.
    static let outputCap = 256 * 1024
    static let artifactTail = 16 * 1024
    /// A result file larger than this is not read.
    static let resultFileLimit = 1 << 20
    /// A built-in agent's transcript (mini-swe-agent's trajectory holds every step) larger than this is not read.
    static let transcriptLimit = 64 << 20

    /// What one call produced: how it ended and the result file's bytes, if it wrote a readable one.
    struct Call {
        var report: AgentReport
        var result: [UInt8]?
        /// True when the deadline that stopped the agent was the task's, not the agent's own.
        var hitTaskDeadline: Bool
        /// What a built-in agent's CLI reported it used (a command's usage is in its result file).
        var usage: Usage? = nil
        /// A built-in agent's whole output (its event stream), kept as an artifact.
        var stream: [UInt8]? = nil
    }

    /// The same agent, working in `workspace` (one where a work item runs beside others).
    func working(in workspace: TaskWorkspace) -> AgentDriver {
        var driver = self
        driver.directory = workspace.root
        driver.scratch = workspace.location.callFiles
        driver.environment = environment.merging(workspace.environment) { $1 }
        return driver
    }

    func run(stage: AgentStage, task: TaskRecord, iteration: Int, workItem: WorkItem?, context: FailureContext?, taskDeadline: Double?,
             review: (plan: [WorkItem], diff: String)? = nil) throws -> Call {
        // The folder is beside the checkout, in the agent's reach: a link an earlier call put there, at it or at
        // `.calls`, would take these files (and the agent's next prompt) anywhere.
        do {
            try makeRealDirectory(scratch, levels: 2)
        } catch {
            throw RepositoryError.fileSystem(path: scratch, reason: "cannot be made for the agent's files")
        }
        let files = (task: scratch + "task.json", workItem: scratch + "work_item.json", context: scratch + "context.json",
                     prompt: scratch + "prompt.txt", output: scratch + "output.json", diff: scratch + "change.diff")
        try write(try CanonicalJSON.encode(task), to: files.task)
        var variables = [
            "AEE_TASK_ID": task.id.rawValue,
            "AEE_STAGE": stage.rawValue,
            "AEE_ITERATION": String(iteration),
            "AEE_TASK_FILE": files.task,
            "AEE_OUTPUT_FILE": files.output,
            "AEE_PROMPT_FILE": files.prompt,
        ]
        if let workItem {
            try write(try CanonicalJSON.encode(workItem), to: files.workItem)
            variables["AEE_WORK_ITEM_FILE"] = files.workItem
        }
        if let context {
            try write(try CanonicalJSON.encode(context), to: files.context)
            variables["AEE_CONTEXT_FILE"] = files.context
        }
        let request = review.map { ReviewRequest(plan: $0.plan, diff: $0.diff, diffFile: files.diff) }
        if let review {
            try write(Array(review.diff.utf8), to: files.diff)
            variables["AEE_DIFF_FILE"] = files.diff
        }
        // A result left by an earlier call must not pass for this one's.
        unlink(files.output)
        var timeout = timeoutSeconds
        var hitTaskDeadline = false
        if let taskDeadline {
            let remaining = taskDeadline - Subprocess.now()
            if remaining < timeout {
                timeout = max(remaining, 0)
                hitTaskDeadline = true
            }
        }
        let launch = Launch(environment: environment.merging(variables) { $1 }, timeout: timeout, hitsTaskDeadline: hitTaskDeadline)

        switch program {
        case .command(let command):
            let prompt = AgentPrompt(task: task, stage: stage, iteration: iteration, workItem: workItem, context: context, outputFile: files.output, review: request)
            try write(Array(prompt.text.utf8), to: files.prompt)
            var process = Subprocess.shell(command, directory: directory, environment: launch.environment, timeoutSeconds: launch.timeout)
            process.input = files.prompt
            let (outcome, report) = try launch.run(process, self)
            let (result, problem) = readResult(files.output, limit: Self.resultFileLimit)
            var call = Call(report: report, result: result, hitTaskDeadline: launch.hitsTaskDeadline && outcome.timedOut)
            call.report.resultProblem = problem
            if outcome.exitCode == Self.needsHumanExitCode, !outcome.timedOut { call.report.status = .needsHuman }
            return call
        case .builtIn(let cli, let path, let model, let arguments, let prices):
            let prompt = AgentPrompt(task: task, stage: stage, iteration: iteration, workItem: workItem, context: context, outputFile: nil, review: request)
            try write(Array(prompt.text.utf8), to: files.prompt)
            let call = AgentCLICall(stage: stage, prompt: prompt.text, promptFile: files.prompt, scratch: scratch, model: model, extraArguments: arguments,
                                    budgetUSD: Self.remainingBudget(of: task), prices: prices)
            return try runBuiltIn(cli, at: path, call, launch)
        }
    }

    /// How a call is started, whatever runs: its environment and time.
    private struct Launch {
        let environment: [String: String]
        let timeout: Double
        /// Whether `timeout` is what is left of the task's time rather than the agent's own limit.
        let hitsTaskDeadline: Bool

        /// Runs `process` as an agent call and reports how it ended.
        func run(_ process: Subprocess, _ driver: AgentDriver) throws -> (Subprocess.Outcome, AgentReport) {
            var process = process
            process.outputCap = AgentDriver.outputCap
            process.graceSeconds = driver.graceSeconds
            process.stopRequested = driver.stopRequested
            let outcome = try process.run()
            // Stopped by an interrupt of git aee, an exit 0 says the CLI stopped cleanly (Claude Code does), not that
            // it did its work.
            let interrupted = outcome.stopped && !outcome.timedOut && ProcessGroups.shared.interruption != nil
            let status: AgentReport.Status = outcome.timedOut ? .timedOut : interrupted || outcome.exitCode == nil ? .killed
                : outcome.exitCode == 0 ? .done : .failed
            let tail = OutputTail.suffix(AgentDriver.artifactTail, of: outcome.output)
            let report = AgentReport(status: status, exitCode: outcome.exitCode, durationMilliseconds: Int(outcome.seconds * 1000),
                                     outputTail: String(decoding: tail, as: UTF8.self),
                                     outputDroppedBytes: outcome.droppedBytes + outcome.output.count - tail.count, resultProblem: nil)
            return (outcome, report)
        }
    }

    /// A built-in agent's call: its CLI started as it says, its output read into the contract's terms.
    private func runBuiltIn(_ cli: any AgentCLI, at path: String, _ call: AgentCLICall, _ launch: Launch) throws -> Call {
        guard let invocation = cli.invocation(for: call) else {
            // The CLI cannot plan (or review): no call; the plan falls back to one work item, saying why.
            let report = AgentReport(status: .done, exitCode: nil, durationMilliseconds: 0, outputTail: "", outputDroppedBytes: 0,
                                     resultProblem: call.stage == .review ? "\(cli.program) cannot review" : "\(cli.program) does not plan; the task is one work item")
            return Call(report: report, result: nil, hitTaskDeadline: false, usage: .unknown)
        }
        if let budget = call.budgetUSD, budget <= 0 {
            // Nothing left to spend: a CLI told "0" would take it for no limit at all.
            var report = AgentReport(status: .failed, exitCode: nil, durationMilliseconds: 0, outputTail: "", outputDroppedBytes: 0, resultProblem: nil)
            report.failure = AgentFailure(kind: .budget, message: "nothing is left of the task's --max-cost")
            return Call(report: report, result: nil, hitTaskDeadline: false, usage: .unknown)
        }
        var process = Subprocess(arguments: [path] + invocation.arguments, directory: directory,
                                 environment: launch.environment.merging(invocation.defaults) { current, _ in current }.merging(invocation.environment) { $1 },
                                 timeoutSeconds: launch.timeout)
        process.input = invocation.input
        for (name, text) in invocation.files { try write(Array(text.utf8), to: scratch + name) }
        for name in invocation.results { unlink(scratch + name) }
        let activity = activity
        process.onLine = { line in
            cli.activity(in: line).map(activity)
            return cli.givesUp(on: line)
        }
        let present = Set(topLevelNames(startingWith: cli.leftovers))
        var (outcome, report) = try launch.run(process, self)
        for name in topLevelNames(startingWith: cli.leftovers) where !present.contains(name) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        let written = Dictionary(uniqueKeysWithValues: invocation.results.compactMap { name in
            readResult(scratch + name, limit: Self.transcriptLimit).bytes.map { (name, $0) }
        })
        let reading = cli.reading(of: AgentCLIOutput(bytes: outcome.output, exitCode: outcome.exitCode, timedOut: outcome.timedOut, files: written), for: call)
        if report.status == .done, reading.failure != nil { report.status = .failed }
        if let message = reading.message {
            // The agent's last words say more than the end of its event stream, which is kept whole as an artifact.
            let words = OutputTail.suffix(Self.artifactTail, of: message.utf8)
            report.outputTail = String(decoding: words, as: UTF8.self)
            report.outputDroppedBytes = message.utf8.count - words.count
        }
        report.failure = reading.failure
        if reading.failure.map({ $0.kind == .agent }) ?? true, let ending = Self.ending(of: outcome, status: report.status, timeout: launch.timeout) {
            // How git aee or a signal ended the call says more than the CLI's last words on the way out (an event of
            // its stream, a warning, a placeholder); not more than a failure it told apart (its API, its flags).
            report.failure = AgentFailure(kind: .agent, message: ending)
        }
        report.permissionDenials = reading.denials.isEmpty ? nil : reading.denials
        return Call(report: report, result: reading.result, hitTaskDeadline: launch.hitsTaskDeadline && outcome.timedOut, usage: reading.usage,
                    stream: outcome.output)
    }

    /// Why a call that git aee or a signal ended stopped, in words: nil for one that ended by itself.
    static func ending(of outcome: Subprocess.Outcome, status: AgentReport.Status, timeout: Double) -> String? {
        switch status {
        case .timedOut:
            return "timed out after \(Int(timeout.rounded())) s"
        case .killed:
            if let signal = ProcessGroups.shared.interruption, outcome.stopped { return "stopped: git aee was interrupted (\(signalName(signal)))" }
            // Stopped otherwise by git aee, it was for what its output said (it gave up on its API), which the
            // reading tells.
            return outcome.stopped ? nil : outcome.signal.map { "killed by \(signalName($0))" }
        default:
            return nil
        }
    }

    /// `SIGKILL (9)`, or the number alone for a signal without a common name.
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL",
                                      SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM", SIGBUS: "SIGBUS"]
        return names[signal].map { "\($0) (\(signal))" } ?? "signal \(signal)"
    }

    /// The names at the top of the workspace that begin with one of `prefixes`.
    private func topLevelNames(startingWith prefixes: [String]) -> [String] {
        guard !prefixes.isEmpty else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in prefixes.contains { name.hasPrefix($0) } }
    }

    /// What is left of the task's `--max-cost`, for a CLI that can stop itself at a budget.
    static func remainingBudget(of task: TaskRecord) -> Decimal? {
        guard let limit = task.metadata.maxCostUSD, let allowed = Decimal(string: String(limit)) else { return nil }
        return max(allowed - (task.usage?.costUSD ?? 0), 0)
    }

    /// The result file's bytes, or why it cannot be used (nil and nil: the agent wrote none, which is allowed).
    private func readResult(_ path: String, limit: Int) -> (bytes: [UInt8]?, problem: String?) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return (nil, nil) }
        guard info.st_mode & S_IFMT == S_IFREG else { return (nil, "the result file is not a regular file") }
        guard Int(info.st_size) <= limit else { return (nil, "the result file is larger than \(limit >> 20) MiB") }
        guard let data = FileManager.default.contents(atPath: path) else { return (nil, "the result file cannot be read") }
        return (Array(data), nil)
    }

    /// Scratch files for one call: rewritten in place (a new file per call costs a new inode, slow on a busy
    /// file system), never through a symlink an agent left there, and not synced to disk as Foundation's writer does.
    private func write(_ bytes: [UInt8], to path: String) throws {
        // A file of its own, never one written through: what stands at the name may be a link or a hard link (to a
        // file of the user's) that the last call made.
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RepositoryError.fileSystem(path: path, reason: "cannot be written for the agent") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw RepositoryError.fileSystem(path: path, reason: "cannot be written for the agent") }
            offset += written
        }
    }
}
