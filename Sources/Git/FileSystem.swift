#if canImport(Glibc)
import Glibc
#endif

/// `rm -rf path`, never following a symlink; nothing to do when it does not exist.
public func removeRecursively(_ path: String) throws {
    // Without a trailing `/`, which would make lstat follow a link standing there: the link goes, not what it names.
    var path = path
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    let slash = path.lastIndex(of: "/")
    let parent = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let directory = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else {
        if errno == ENOENT { return }
        throw GitError(systemCall: "open", path: parent)
    }
    defer { close(directory) }
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    try removeEntry(name.utf8CString.map { $0 }, in: directory, path: path)
}

/// Removes `name` (its bytes, NUL-terminated: a name need not be UTF-8) in the open directory `directory` (`path`
/// names it in errors), and all it holds: each level opened from the one above, so a tree deeper than a path can
/// name (PATH_MAX) goes too, and a link is never followed.
private func removeEntry(_ name: [CChar], in directory: Int32, path: String) throws {
    var info = stat()
    guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
    let isDirectory = info.st_mode & S_IFMT == S_IFDIR
    if isDirectory {
        // A directory made read-only (a Go module cache does that) must be writable for its entries to go.
        if info.st_mode & S_IRWXU != S_IRWXU { fchmodat(directory, name, info.st_mode | S_IRWXU, 0) }
        let inner = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard inner >= 0 else { throw GitError(systemCall: "open", path: path) }
        defer { close(inner) }
        for entry in rawDirectoryEntries(inner) { try removeEntry(entry, in: inner, path: path + "/" + entryName(entry)) }
    }
    guard unlinkat(directory, name, isDirectory ? AT_REMOVEDIR : 0) == 0 || errno == ENOENT else {
        throw GitError(systemCall: "remove", path: path)
    }
}

/// A name `rawDirectoryEntries` read, as text (bytes that are not UTF-8 replaced), for a message or a caller that
/// works with names as text.
private func entryName(_ entry: [CChar]) -> String {
    String(decoding: entry.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The names in the open directory `descriptor` but `.` and `..`, as bytes, NUL-terminated.
private func rawDirectoryEntries(_ descriptor: Int32) -> [[CChar]] {
    let copy = dup(descriptor)
    guard copy >= 0, let directory = fdopendir(copy) else { return [] }
    defer { closedir(directory) }
    var names: [[CChar]] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }.map { CChar(bitPattern: $0) }) }
        if name != [46] && name != [46, 46] { names.append(name + [0]) }
    }
    return names
}

/// Makes `path` a directory, with the directories above it that are missing; it and the `levels - 1` above it must
/// be real ones: what stands at one of them that is not (a link, which would lead writes elsewhere, or a file) is
/// removed first, the link itself, never what it names.
public func makeRealDirectory(_ path: String, levels: Int) throws {
    var path = path
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    for depth in stride(from: components.count - 2, through: 0, by: -1) {
        let place = components.dropLast(depth).joined(separator: "/")
        var info = stat()
        if lstat(place, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR || (depth >= levels && stat(place, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR) { continue }
            guard depth < levels else {
                errno = ENOTDIR
                throw GitError(systemCall: "mkdir", path: place)
            }
            try removeRecursively(place)
        }
        guard mkdir(place, 0o777) == 0 || errno == EEXIST else { throw GitError(systemCall: "mkdir", path: place) }
    }
}

/// Replaces `path` with `bytes` through a temporary file and a rename, so no reader sees half of it. The temporary
/// file is made anew, never written through whatever (a link) stood at its name.
public func replaceFile(_ path: String, with bytes: [UInt8], mode: mode_t = 0o666) throws {
    let temporary = path + ".aee-new"
    try removeRecursively(temporary)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard fd >= 0 else { throw GitError(systemCall: "open", path: temporary) }
    defer { close(fd) }
    try writeAll(bytes, to: fd, path: temporary)
    guard rename(temporary, path) == 0 else { throw GitError(systemCall: "rename", path: path) }
}

/// `replaceFile`, unless `path` is a file holding `bytes` already (not a link): settings written anew at every
/// run are mostly what they were, and a file's creation and rename cost more than reading it.
public func replaceFileIfChanged(_ path: String, with bytes: [UInt8]) throws {
    guard readFile(path) != bytes else { return }
    try replaceFile(path, with: bytes)
}

/// Whether `path` is a symbolic link (whether or not what it names exists).
public func isLink(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
}

/// The bytes of `path`, or nil when it is not a regular file that can be read (missing, a directory, a link, a FIFO
/// an agent put in its place, whose opening would wait for a writer for ever).
func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    var bytes: [UInt8] = []
    // Sized for the whole file and the end-of-file read (settings files are small): zeroing 64 KiB for each costs more.
    var chunk = [UInt8](repeating: 0, count: min(max(Int(info.st_size) + 1, 256), 65_536))
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { return nil }
        if count == 0 { return bytes }
        bytes += chunk[..<count]
    }
}

/// The names in directory `path` (without `.` and `..`); none when it cannot be read.
func directoryEntries(_ path: String) -> [String] {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return [] }
    defer { close(descriptor) }
    return rawDirectoryEntries(descriptor).map(entryName).sorted()
}

/// Whether directory `path` holds nothing but `kept` (and `.`, `..`); it stops at the first other name, so a full
/// directory costs one read. False when it cannot be read.
func holdsNothing(but kept: String, in path: String) -> Bool {
    guard let directory = opendir(path) else { return false }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." && name != kept { return false }
    }
    return true
}

/// How many names in directory `path` are `length` bytes long (0 when it cannot be read); no name is copied.
func countEntries(_ path: String, nameLength length: Int) -> Int {
    guard let directory = opendir(path) else { return 0 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        if withUnsafeBytes(of: entry.pointee.d_name, { strnlen($0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }) == length { count += 1 }
    }
    return count
}
