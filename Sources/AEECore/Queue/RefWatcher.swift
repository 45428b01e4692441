#if canImport(Glibc)
import Glibc
#endif

/// Wakes a worker when refs change, through inotify on the directories git writes them in: a ref update is a
/// rename of `<name>.lock` onto `<name>` under `refs/heads/aee/`, or a rename onto `packed-refs`.
final class RefWatcher {
    /// Readable when something changed.
    let descriptor: Int32
    private let common: String
    /// The watch on `refs/heads/aee`, whose events name the task branch that moved.
    private var taskRefs: Int32 = -1

    init(commonDirectory: String) throws {
        common = commonDirectory.hasSuffix("/") ? commonDirectory : commonDirectory + "/"
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw RepositoryError.fileSystem(path: common, reason: "cannot watch for new tasks: \(String(cString: strerror(errno)))")
        }
        for directory in [common, common + "refs/heads"] {
            guard inotify_add_watch(descriptor, directory, UInt32(IN_MOVED_TO | IN_CREATE)) >= 0 else {
                close(descriptor)
                throw RepositoryError.fileSystem(path: directory, reason: "cannot watch for new tasks: \(String(cString: strerror(errno)))")
            }
        }
        watchTaskRefs()
    }

    deinit { close(descriptor) }

    /// Reads whatever events are pending: the names of the refs in `refs/heads/aee` they say were written or
    /// deleted, or nil when what changed cannot be told that way (`packed-refs` rewritten, the directory made anew,
    /// events lost), and every ref must be read again.
    @discardableResult
    func drain() -> Set<String>? {
        var names: Set<String>? = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            // Each event: wd (4 bytes), mask (4), cookie (4), len (4), then a name of `len` bytes, NUL-padded.
            var offset = 0
            while offset + 16 <= count {
                let (watch, mask, length) = buffer.withUnsafeBytes { bytes in
                    (bytes.load(fromByteOffset: offset, as: Int32.self), bytes.load(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(bytes.load(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let name = String(decoding: buffer[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }, as: UTF8.self)
                offset += 16 + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 || name == "packed-refs" || (name == "aee" && watch != taskRefs) {
                    names = nil
                } else if watch == taskRefs, !name.hasSuffix(".lock") {
                    names?.insert(name)
                }
            }
        }
        // `refs/heads/aee` appears with the first task and may vanish when git packs refs: watch it whenever it exists.
        watchTaskRefs()
        return names
    }

    private func watchTaskRefs() {
        taskRefs = inotify_add_watch(descriptor, common + "refs/heads/aee", UInt32(IN_MOVED_TO | IN_CREATE | IN_DELETE))
    }
}

extension Workspace {
    /// Calls `body` now and again each time a task or attempt branch changes (a ref written or packed), or after
    /// `seconds` without a change; until `body` returns false or a signal ends the process.
    public func watchTasks(orEvery seconds: Double, _ body: () throws -> Bool) throws {
        try doing("watch the task branches") {
            let watcher = try RefWatcher(commonDirectory: repository.commonDirectory)
            while try body() {
                var descriptor = pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, Int32(seconds * 1000))
                watcher.drain()
            }
        }
    }
}

extension Workspace {
    /// Serves `handler`'s pages with `server` until a signal ends the process, telling the pages' event streams
    /// whenever a task or attempt branch moves.
    public func serve(_ server: LocalServer, _ handler: LocalServer.Handler) throws {
        try doing("serve the dashboard") {
            let watcher = try RefWatcher(commonDirectory: repository.commonDirectory)
            // A lock file or `ORIG_HEAD` written beside the refs is not a move: the pages are not told of it.
            server.serve(changes: watcher.descriptor, drain: { watcher.drain().map { !$0.isEmpty } ?? true }, handler)
        }
    }
}
