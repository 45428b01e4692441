#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The process running a task, as its `started` event recorded it.
public struct RunOwner: CustomStringConvertible, Sendable {
    public let host: String
    public let pid: pid_t?

    public static var thisHost: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }

    /// The owner a `started` event names (its details say host and pid).
    init(startedBy event: TaskEvent?) {
        let details = event?.details ?? [:]
        host = details["host"] ?? "an unknown host"
        pid = details["pid"].flatMap { pid_t($0) }
    }

    public var description: String { "pid \(pid.map(String.init) ?? "?") on \(host)" }

    /// False only when the owner was on this host and its process is gone; another host cannot be checked.
    public var mayBeAlive: Bool {
        guard host == Self.thisHost, let pid else { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether the owner is a git-aee process on this host (a pid can be reused by anything once its owner dies).
    var isLocalGitAEE: Bool {
        guard host == Self.thisHost, let pid, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let program = data.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return program.hasSuffix("git-aee")
    }
}

extension Workspace {
    /// Who the last `started` event says runs the task.
    public func owner(of id: TaskID) throws -> RunOwner {
        RunOwner(startedBy: try store.history(of: id).last { $0.event.event == "started" }?.event)
    }

    /// Asks the git-aee process running `id` on this host to stop (SIGTERM): it kills its agent and gates and
    /// finds the task CANCELED. Returns whether a process was signalled.
    @discardableResult
    public func stopOwner(of id: TaskID) throws -> Bool {
        let owner = try owner(of: id)
        guard owner.isLocalGitAEE, let pid = owner.pid, pid != getpid() else { return false }
        return kill(pid, SIGTERM) == 0
    }
}
