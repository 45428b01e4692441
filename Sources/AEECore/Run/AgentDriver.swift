#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs the agent command under the documented contract (docs/agents.md): `/bin/sh -c` in the task's workspace, in a
/// process group of its own, with a timeout and an output cap, the `AEE_*` files and the prompt on stdin.
struct AgentDriver {
    let command: String
    let timeoutSeconds: Double
    /// How long what the agent started has to stop once asked (a timeout, an interrupt, the end of the call).
    let graceSeconds: Double
    /// The task's workspace, where the agent works.
    let directory: String
    /// A directory outside the workspace for the files handed over (ends with `/`).
    let scratch: String
    /// The environment the agent starts from, git's repository variables removed.
    let environment: [String: String]

    /// The exit code by which an agent says it needs a human.
    static let needsHumanExitCode: Int32 = 3
    /// Output kept from an agent call; the artifacts keep the last `artifactTail` bytes of it.
    static let outputCap = 256 * 1024
    static let artifactTail = 16 * 1024
    /// A result file larger than this is not read.
    static let resultFileLimit = 1 << 20

    /// What one call produced: how it ended and the result file's bytes, if it wrote a readable one.
    struct Call {
        var report: AgentReport
        var result: [UInt8]?
        /// True when the deadline that stopped the agent was the task's, not the agent's own.
        var hitTaskDeadline: Bool
    }

    func run(stage: AgentStage, task: TaskRecord, iteration: Int, workItem: WorkItem?, context: FailureContext?, taskDeadline: Double?) throws -> Call {
        let files = (task: scratch + "task.json", workItem: scratch + "work_item.json", context: scratch + "context.json",
                     prompt: scratch + "prompt.txt", output: scratch + "output.json")
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
        let prompt = AgentPrompt(task: task, stage: stage, iteration: iteration, workItem: workItem, context: context, outputFile: files.output)
        try write(Array(prompt.text.utf8), to: files.prompt)
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
        var process = Subprocess.shell(command, directory: directory, environment: environment.merging(variables) { $1 }, timeoutSeconds: timeout)
        process.outputCap = Self.outputCap
        process.graceSeconds = graceSeconds
        process.input = files.prompt
        let outcome = try process.run()

        let status: AgentReport.Status
        if outcome.timedOut {
            status = .timedOut
        } else if outcome.exitCode == 0 {
            status = .done
        } else if outcome.exitCode == Self.needsHumanExitCode {
            status = .needsHuman
        } else if outcome.exitCode == nil {
            status = .killed
        } else {
            status = .failed
        }
        let (result, problem) = readResult(files.output)
        let tail = outcome.output.suffix(Self.artifactTail)
        let report = AgentReport(status: status, exitCode: outcome.exitCode, durationMilliseconds: Int(outcome.seconds * 1000),
                                 outputTail: String(decoding: tail, as: UTF8.self),
                                 outputDroppedBytes: outcome.droppedBytes + outcome.output.count - tail.count, resultProblem: problem)
        return Call(report: report, result: result, hitTaskDeadline: hitTaskDeadline && outcome.timedOut)
    }

    /// The result file's bytes, or why it cannot be used (nil and nil: the agent wrote none, which is allowed).
    private func readResult(_ path: String) -> (bytes: [UInt8]?, problem: String?) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return (nil, nil) }
        guard info.st_mode & S_IFMT == S_IFREG else { return (nil, "the result file is not a regular file") }
        guard Int(info.st_size) <= Self.resultFileLimit else { return (nil, "the result file is larger than 1 MiB") }
        guard let data = FileManager.default.contents(atPath: path) else { return (nil, "the result file cannot be read") }
        return (Array(data), nil)
    }

    /// Scratch files for one call: rewritten in place (a new file per call costs a new inode, slow on a busy
    /// file system), never through a symlink an agent left there, and not synced to disk as Foundation's writer does.
    private func write(_ bytes: [UInt8], to path: String) throws {
        var fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ELOOP {
            unlink(path)
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else { throw AEEError.fileSystem(path: path, reason: "cannot be written for the agent") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw AEEError.fileSystem(path: path, reason: "cannot be written for the agent") }
            offset += written
        }
    }
}
