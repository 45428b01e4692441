import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// Makes each of `paths` in the working tree and the index what `tree` holds there (a regular file, or nothing),
    /// then writes the index: for the records git aee has just committed, without a checkout's walk over every file.
    /// Files are reached through directories opened without following symlinks, so nothing is written outside the
    /// working tree whatever an agent left on disk.
    public func syncFiles(_ paths: [String], to tree: OID) throws {
        guard let root = workingDirectory else { throw GitError(code: GIT_EBAREREPO.rawValue, function: "syncFiles") }
        try withIndex { index in
            for path in paths {
                let entry = try entry(at: path, inTree: tree)
                if let entry, entry.mode == 0o100644 || entry.mode == 0o100755 {
                    try WorkingTreeFile(root: root, path: path).write(try blob(entry.oid), executable: entry.mode == 0o100755)
                    try check(git_index_add_bypath(index, path), "git_index_add_bypath")
                } else if entry == nil {
                    try WorkingTreeFile(root: root, path: path).remove()
                    try check(git_index_remove_bypath(index, path), "git_index_remove_bypath")
                } else {
                    throw GitError(code: GIT_EINVALID.rawValue, function: "syncFiles (\(path) is not a regular file)")
                }
            }
            try check(git_index_write(index), "git_index_write")
        }
    }
}

/// A file inside a working tree, reached one directory at a time with O_NOFOLLOW.
private struct WorkingTreeFile {
    let root: String
    let components: [String]
    let path: String

    init(root: String, path: String) {
        self.root = root
        self.path = path
        components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Replaces the file with `bytes`: a symlink or a file of the same name is unlinked first, never followed.
    func write(_ bytes: [UInt8], executable: Bool) throws {
        try inParent(creating: true) { directory, name in
            if unlinkat(directory, name, 0) != 0 && errno != ENOENT { throw GitError(systemCall: "unlinkat", path: path) }
            let fd = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0o777 : 0o666)
            guard fd >= 0 else { throw GitError(systemCall: "openat", path: path) }
            defer { close(fd) }
            try writeAll(bytes, to: fd, path: path)
        }
    }

    func remove() throws {
        try inParent(creating: false) { directory, name in
            if unlinkat(directory, name, 0) != 0 && errno != ENOENT { throw GitError(systemCall: "unlinkat", path: path) }
        }
    }

    /// Opens each directory on the way (creating the missing ones when asked) and calls `body` with the last one
    /// and the file's name; a missing directory when not creating means there is nothing to do.
    private func inParent(creating: Bool, _ body: (Int32, String) throws -> Void) throws {
        guard let name = components.last, !components.contains(where: { $0 == "." || $0 == ".." }) else {
            throw GitError(code: GIT_EINVALIDSPEC.rawValue, function: "WorkingTreeFile (\(path))")
        }
        var directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw GitError(systemCall: "open", path: root) }
        defer { close(directory) }
        for component in components.dropLast() {
            if creating && mkdirat(directory, component, 0o777) != 0 && errno != EEXIST {
                throw GitError(systemCall: "mkdirat", path: path)
            }
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && !creating { return }
            guard next >= 0 else { throw GitError(systemCall: "openat", path: path) }
            close(directory)
            directory = next
        }
        try body(directory, name)
    }
}

/// Writes all of `bytes` to `fd`, however many calls it takes; `path` names the file in the error.
func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { throw GitError(systemCall: "write", path: path) }
        offset += written
    }
}
