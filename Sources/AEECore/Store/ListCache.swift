#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Git
#if canImport(Glibc)
import Glibc
#endif

/// What `list --json` learnt of the records it read, so that the next one reads neither their trees nor decodes them
/// again: for a task's commit, the blob of its record, when the task was made and its state. Each entry is a fact
/// about objects that never change (a commit's tree names one blob, a blob decodes one way, and only records that
/// decoded are entered), so none is ever wrong, only unused once its branch has moved on; the file is written anew
/// with the entries a listing used. It lives in the git directory (`aee/list-cache`), like git's index, is checked
/// whole (a checksum) before it is believed, and is only ever an aid: unreadable, damaged or missing, it is rebuilt.
struct ListCache {
    struct Key: Hashable, Sendable {
        let commit: OID
        let id: TaskID
    }

    struct Entry: Sendable {
        let blob: OID
        let createdAt: Timestamp
        let state: TaskState
    }

    let path: String

    private static let header = Array("aee list cache 1\n".utf8)

    /// The entries in the file; none when it is missing or fails any check.
    func load() -> [Key: Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        let bytes = [UInt8](data)
        // The last line is the checksum of everything before it.
        guard bytes.starts(with: Self.header), bytes.last == 0x0A,
              let end = bytes.dropLast().lastIndex(of: 0x0A),
              String(decoding: bytes[(end + 1)...].dropLast(), as: UTF8.self) == Self.checksum(bytes[..<(end + 1)]) else { return [:] }
        var entries: [Key: Entry] = [:]
        entries.reserveCapacity(bytes.count / 100)
        // Told by their bytes: a listing of 100,000 tasks reads 100,000 lines before it reads any record.
        for line in bytes[Self.header.count..<end].split(separator: 0x0A) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard fields.count == 5, let commit = OID(hexDigits: fields[0]), let id = TaskID(String(decoding: fields[1], as: UTF8.self)),
                  let blob = OID(hexDigits: fields[2]), let seconds = Int64(String(decoding: fields[3], as: UTF8.self)),
                  let state = TaskState(rawValue: String(decoding: fields[4], as: UTF8.self)) else { return [:] }
            entries[Key(commit: commit, id: id)] = Entry(blob: blob, createdAt: Timestamp(seconds: seconds), state: state)
        }
        return entries
    }

    /// Writes `entries` as the whole file, as git writes its index: into `<path>.lock`, made only if no other process
    /// holds it, then renamed over the file. Another process writing it (or a crash's leftover lock) means this one
    /// leaves it alone: the cache is only ever an aid.
    func save(_ entries: [Key: Entry]) {
        var bytes = Self.header
        // A listing has one commit per task: its id orders the file.
        for (key, entry) in entries.sorted(by: { $0.key.id < $1.key.id }) {
            bytes += Array("\(key.commit.hex) \(key.id) \(entry.blob.hex) \(entry.createdAt.seconds) \(entry.state.rawValue)\n".utf8)
        }
        bytes += Array((Self.checksum(bytes[...]) + "\n").utf8)
        let lock = path + ".lock"
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        mkdir(directory, 0o777)
        let fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            removeIfAbandoned(lock)
            return
        }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            written += count
        }
        close(fd)
        guard written == bytes.count, rename(lock, path) == 0 else {
            unlink(lock)
            return
        }
    }

    /// A lock no process has touched for a minute was left by one that died while writing.
    private func removeIfAbandoned(_ lock: String) {
        var info = stat()
        if lstat(lock, &info) == 0, Int(time(nil)) - info.st_mtim.tv_sec > 60 { unlink(lock) }
    }

    /// FNV-1a, 64 bits, in hex: enough to tell a torn or damaged file from one git aee wrote.
    private static func checksum(_ bytes: ArraySlice<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
