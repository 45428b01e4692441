import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// A lock file at least this old is taken for one a killed process left: libgit2 holds a ref's for microseconds.
    static let staleLockSeconds = 1.0

    /// Runs a ref write; when it finds the ref locked, waits for the lock to go or to grow stale, removes a stale one
    /// (a `kill -9` mid-update leaves it, and it would block that ref for git and git aee alike) and tries once more.
    func writingRef(_ name: String, _ write: () -> Int32) -> Int32 {
        let result = SignalDeferral.run(write)
        guard result == GIT_ELOCKED.rawValue, clearStaleLocks(of: name) else { return result }
        return SignalDeferral.run(write)
    }

    /// Whether the locks that block `name` (its own, and `packed-refs`'s) are gone or were stale and removed.
    private func clearStaleLocks(of name: String) -> Bool {
        let directory = name.hasPrefix("refs/") ? commonDirectory : gitDirectory
        return clearStaleLocks([directory + name + ".lock", commonDirectory + "packed-refs.lock"])
    }

    /// Removes this working tree's index and HEAD locks if a killed process left them; for a worktree that only its
    /// owner writes, before the owner uses it. Throws when a lock stays fresh (someone is really using it).
    public func clearStaleWorkingTreeLocks() throws {
        // The index this handle uses may be a file of its own (a borrowing repository's), not the git directory's.
        let index = (try? withIndex { git_index_path($0).map { String(cString: $0) } }) ?? nil
        guard clearStaleLocks([(index ?? gitDirectory + "index") + ".lock", gitDirectory + "index.lock", gitDirectory + "HEAD.lock"]) else {
            throw GitError(code: GIT_ELOCKED.rawValue, function: "clearStaleWorkingTreeLocks",
                           message: "\(gitDirectory)index.lock: another process is using the task's worktree")
        }
    }

    /// Waits for each of `locks` to go or grow stale, and removes the stale ones; false when one stays fresh.
    func clearStaleLocks(_ locks: [String]) -> Bool {
        let deadline = Self.monotonicNow() + Self.staleLockSeconds + 0.5
        while Self.monotonicNow() < deadline {
            var stale: [String] = []
            var fresh = false
            for lock in locks {
                var info = stat()
                guard lstat(lock, &info) == 0 else { continue }
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                let age = Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
                if age > Self.staleLockSeconds { stale.append(lock) } else { fresh = true }
            }
            for lock in stale where unlink(lock) != 0 && errno != ENOENT { return false }
            if !fresh { return true }
            usleep(50_000)
        }
        return false
    }

    static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
