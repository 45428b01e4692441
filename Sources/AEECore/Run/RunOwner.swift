import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The process running a task, as the `started` or `resumed` event that gave it the task recorded it.
public struct RunOwner: CustomStringConvertible, Sendable {
    public let host: String
    public let pid: pid_t?
    /// The boot and start time of the process (`<boot id>/<start ticks>`): a pid is reused, this pair is not.
    let process: String?
    /// How long the owner's lease lasts without renewal, when it runs the task through a remote.
    let leaseSeconds: Int?
    /// When the owner took the task.
    let since: Timestamp?

    /// Whether the owner still runs the task, as far as this machine can tell.
    public enum Liveness: Sendable {
        case alive
        /// It was on this host and that process is gone (or the host rebooted since).
        case gone
        /// It is on another host: only its lease can tell.
        case unknown
    }

    public static var thisHost: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The owner the last `started` or `resumed` of a task's `events` names.
    init(of events: [TaskEvent]) {
        self.init(RunStory(events).claim)
    }

    private init(_ claim: (TaskEvent.Claim, at: Timestamp)?) {
        since = claim?.at
        host = claim?.0.host ?? "an unknown host"
        pid = claim?.0.pid.flatMap { pid_t($0) }
        process = claim?.0.process
        leaseSeconds = claim?.0.leaseSeconds.flatMap { Int($0) }
    }

    /// Every owner a task's `events` name, oldest first.
    static func every(of events: [TaskEvent]) -> [RunOwner] {
        RunStory(events).claims.map { RunOwner($0) }
    }

    /// The details that name this process as a task's owner.
    static var thisProcess: [String: String] {
        var details = ["host": thisHost, "pid": String(getpid())]
        details["process"] = processIdentity(of: getpid())
        return details
    }

    public var description: String { "pid \(pid.map(String.init) ?? "?") on \(host)" }

    public var liveness: Liveness {
        guard host == Self.thisHost, let pid else { return .unknown }
        guard kill(pid, 0) == 0 || errno == EPERM else { return .gone }
        // A zombie is dead, only not yet reaped (its parent, a worker, may have died too).
        guard let identity = Self.processIdentity(of: pid) else { return process == nil ? .alive : .gone }
        return process == nil || identity == process ? .alive : .gone
    }

    /// Whether the owner is the process asking.
    var isThisProcess: Bool {
        host == Self.thisHost && pid == getpid() && (process == nil || process == Self.processIdentity(of: getpid()))
    }

    /// False only when the owner was on this host and its process is gone; another host cannot be checked.
    public var mayBeAlive: Bool { liveness != .gone }

    /// Whether the owner is a git-aee process on this host (a pid can be reused by anything once its owner dies).
    var isLocalGitAEE: Bool {
        guard liveness == .alive, let pid, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let program = data.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return program.hasSuffix("git-aee")
    }

    /// `<boot id>/<start time in clock ticks>` from /proc, or nil where there is no /proc or the process is a zombie.
    static func processIdentity(of pid: pid_t) -> String? {
        guard let boot = bootID, let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        // The command name in parentheses may hold spaces and parentheses; the fields after the last ')' do not.
        // The start time is field 22 of the line, the 20th after the name.
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19, !fields[0].elementsEqual("Z".utf8) else { return nil }
        return boot + "/" + String(decoding: fields[19], as: UTF8.self)
    }

    /// This boot's id, read once: a worker asks after every owner on every wake.
    private static let bootID = FileManager.default.contents(atPath: "/proc/sys/kernel/random/boot_id")
        .map { String(decoding: $0, as: UTF8.self).trimmingWhitespace }
}

extension Workspace {
    /// Who the last `started` or `resumed` event says runs the task.
    public func owner(of id: TaskID) throws -> RunOwner {
        RunOwner(of: try store.events(of: id))
    }

    /// Asks the git-aee process running `id` in this repository to stop (SIGTERM): it kills its agent and gates and
    /// finds the task CANCELED. A run of the same task in another clone on this host is not signalled: it would
    /// record its interruption there, racing this cancel to the remote; it learns of the cancel at its next push.
    /// A run on this host that was killed outright (kill -9) stops nothing itself: what it left running is stopped
    /// here (`DeadRunLeftovers`), as `resume` would. Returns what was stopped.
    @discardableResult
    public func stopOwner(of id: TaskID) throws -> StoppedRun {
        return try doing("stop the run of task \(id)") {
            let events = try store.events(of: id)
            let owner = RunOwner(of: events)
            guard owner.host == RunOwner.thisHost, let pid = owner.pid, pid != getpid() else { return .nothing }
            if !ProcessTable.isRunning(pid) { return try stopLeftovers(of: events).map { .leftovers($0) } ?? .nothing }
            guard owner.isLocalGitAEE, let directory = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                  (try? Repository.open(at: directory))?.commonDirectory == repository.commonDirectory else { return .nothing }
            return kill(pid, SIGTERM) == 0 ? .signalled : .nothing
        }
    }
}

extension Workspace {
    /// Stops what the runs of a task (its `events`) on this host that were killed outright left running
    /// (`DeadRunLeftovers`): every such run's, not only the last's, since a resume killed in its turn leaves the
    /// first run's too. Returns what was stopped, as a line; nil when nothing was.
    func stopLeftovers(of events: [TaskEvent]) throws -> String? {
        let pids = RunOwner.every(of: events).filter { $0.host == RunOwner.thisHost }.compactMap(\.pid).filter { $0 != getpid() }
        let stopped = DeadRunLeftovers.stop(runs: pids, grace: try killGraceSeconds())
        guard !stopped.isEmpty else { return nil }
        let count = stopped.values.reduce(0, +)
        let runs = stopped.keys.sorted().map(String.init).joined(separator: ", ")
        return "stopped \(count) process\(count == 1 ? "" : "es") the dead run\(stopped.count == 1 ? " (pid \(runs))" : "s (pids \(runs))") left running"
    }
}

/// What `stopOwner` stopped.
public enum StoppedRun: Equatable, Sendable {
    case nothing
    /// The run, which stops its agent and gates.
    case signalled
    /// What dead runs left running, as a line.
    case leftovers(String)
}
