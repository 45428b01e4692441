import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// A failed libgit2 call: which function failed, its return code and libgit2's own message.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Int32
    public let function: String
    public let message: String

    init(code: Int32, function: String) {
        self.code = code
        self.function = function
        if let last = git_error_last(), let text = last.pointee.message {
            // mbedTLS explains a refused certificate in several lines: an error is one line.
            self.message = String(cString: text).trimmingTrailingNewlines().split(separator: "\n").joined(separator: "; ")
        } else {
            self.message = "libgit2 error \(code)"
        }
    }

    /// A refusal of this wrapper's own (libgit2's last message would belong to another call).
    init(code: Int32, function: String, message: String) {
        self.code = code
        self.function = function
        self.message = message
    }

    /// A failed system call on `path`, with errno's text; the code is libgit2's generic error.
    init(systemCall function: String, path: String) {
        code = GIT_ERROR.rawValue
        self.function = function
        message = "\(path): \(String(cString: strerror(errno)))"
    }

    /// The message without the path it starts with, for one that names the path itself (a system call's reason).
    public var reason: String {
        message.split(separator: ": ").last.map(String.init) ?? message
    }

    /// The refusals the core acts on, for a repository that is not libgit2's to report them the same way (the
    /// in-memory one the core's tests run on).
    public enum Refusal {
        case notFound, exists, modified, locked
    }

    public init(_ refusal: Refusal, message: String) {
        let code = switch refusal {
        case .notFound: GIT_ENOTFOUND
        case .exists: GIT_EEXISTS
        case .modified: GIT_EMODIFIED
        case .locked: GIT_ELOCKED
        }
        self.init(code: code.rawValue, function: "in-memory", message: message)
    }

    public var description: String { "\(message) (\(function))" }

    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    public var isExists: Bool { code == GIT_EEXISTS.rawValue }
    /// The ref moved since it was read: a compare-and-swap lost.
    public var isModified: Bool { code == GIT_EMODIFIED.rawValue }
    /// Another process holds the lock file (`X.lock`).
    public var isLocked: Bool { code == GIT_ELOCKED.rawValue }
    /// A checkout would overwrite local changes.
    public var isConflict: Bool { code == GIT_ECONFLICT.rawValue }
    public var isOwnerMismatch: Bool { code == GIT_EOWNER.rawValue }
    /// A remote refused the certificate or the credentials: trying again cannot go through. (libgit2 also says
    /// GIT_EAUTH when an ssh connection broke before any key was offered: that one may.)
    public var isRefusedAccess: Bool {
        code == GIT_ECERTIFICATE.rawValue
            || code == GIT_EAUTH.rawValue && !message.hasPrefix("Failed to retrieve list of SSH authentication methods")
    }
    /// A write failed because its file system is full (or over quota): libgit2 and this wrapper end such a message
    /// with the system's text for it.
    public var isOutOfSpace: Bool {
        [ENOSPC, EDQUOT].contains { message.hasSuffix(String(cString: strerror($0))) }
    }
}

/// Turns a libgit2 return code into a thrown `GitError` naming the call.
@discardableResult
func check(_ result: Int32, _ function: String) throws -> Int32 {
    guard result < 0 else { return result }
    throw GitError(code: result, function: function)
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
