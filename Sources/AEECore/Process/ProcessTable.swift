import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// The processes of this machine as `/proc` shows them, to find everything a command started: its process group,
/// its descendants, and the processes that left both (a `setsid` daemon, reparented to git aee once its parent died,
/// since git aee is a child subreaper) but still carry the command's tag in their environment.
struct ProcessTable {
    struct Entry {
        let pid: pid_t
        let parent: pid_t
        let group: pid_t
        /// `Z` for a zombie, which holds nothing but its exit status.
        let state: UInt8
    }

    let entries: [pid_t: Entry]

    /// Reads every process's `/proc/<pid>/stat`; processes that end meanwhile are skipped.
    static func read() -> ProcessTable {
        var entries: [pid_t: Entry] = [:]
        guard let proc = opendir("/proc") else { return ProcessTable(entries: [:]) }
        defer { closedir(proc) }
        while let item = readdir(proc) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), let entry = stat(of: pid) else { continue }
            entries[pid] = entry
        }
        return ProcessTable(entries: entries)
    }

    /// Whether this process has no child at all, running or zombie, as each of its threads' `/proc/self/task/<tid>/children`
    /// lists them: one small file per thread, where `read()` opens three per process of the machine. False when the
    /// kernel does not offer those files (CONFIG_PROC_CHILDREN), so the caller reads the whole table.
    static func isChildless() -> Bool {
        guard let tasks = opendir("/proc/self/task") else { return false }
        defer { closedir(tasks) }
        while let item = readdir(tasks) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard pid_t(name) != nil else { continue }
            guard let children = readSmallFile("/proc/self/task/\(name)/children") else {
                // A thread that ended since the directory was read has no children to list; otherwise, no such files.
                if access("/proc/self/task/\(name)", F_OK) == 0 { return false }
                continue
            }
            if children.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }) { return false }
        }
        return true
    }

    /// `pid (comm) S ppid pgrp ...`: the command name may hold spaces and parentheses, so fields count from the last `)`.
    private static func stat(of pid: pid_t) -> Entry? {
        guard let bytes = readSmallFile("/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 3, let parent = pid_t(String(decoding: fields[1], as: UTF8.self)),
              let group = pid_t(String(decoding: fields[2], as: UTF8.self)), let state = fields[0].first else { return nil }
        return Entry(pid: pid, parent: parent, group: group, state: state)
    }

    /// The processes below each of `roots`, at any depth.
    func descendants(of roots: [pid_t]) -> Set<pid_t> {
        var children: [pid_t: [pid_t]] = [:]
        for entry in entries.values { children[entry.parent, default: []].append(entry.pid) }
        var found: Set<pid_t> = []
        var pending = roots.flatMap { children[$0] ?? [] }
        while let next = pending.popLast() {
            guard found.insert(next).inserted else { continue }
            pending += children[next] ?? []
        }
        return found
    }

    /// What the command led by `leader` (tagged `tag`) has running, below this process: its group, processes
    /// tagged with it, and (`withDescendants`) everything below either. Zombies are left out: they need reaping, not signals.
    func members(leader: pid_t, tag: String, withDescendants: Bool = true) -> [pid_t] {
        let ours = descendants(of: [getpid()])
        let seeds = ours.filter { pid in entries[pid]?.group == leader || pid == leader || Self.environment(of: pid, contains: tag) }
        return Set(seeds).union(withDescendants ? descendants(of: Array(seeds)) : []).filter { entries[$0]?.state != UInt8(ascii: "Z") }.sorted()
    }

    /// This process's children that are zombies: exited processes git aee inherited as subreaper, waiting to be reaped.
    func zombieChildren() -> [pid_t] {
        entries.values.filter { $0.parent == getpid() && $0.state == UInt8(ascii: "Z") }.map(\.pid)
    }

    private static func environment(of pid: pid_t, contains tag: String) -> Bool {
        let wanted = Array("\(Subprocess.tagVariable)=\(tag)".utf8)
        return environment(of: pid) { $0.elementsEqual(wanted) }
    }

    /// Whether a variable of `pid`'s environment (`NAME=value`) matches; false when it cannot be read (another user's).
    private static func environment(of pid: pid_t, where matches: (ArraySlice<UInt8>) -> Bool) -> Bool {
        guard let bytes = readSmallFile("/proc/\(pid)/environ") else { return false }
        return bytes.split(separator: 0).contains(where: matches)
    }

    /// The processes other than this one, zombies left out, with a variable in their environment that `matches`.
    func running(where matches: (ArraySlice<UInt8>) -> Bool) -> [pid_t] {
        entries.values.filter { $0.pid != getpid() && $0.state != UInt8(ascii: "Z") && Self.environment(of: $0.pid, where: matches) }.map(\.pid).sorted()
    }

    /// Whether `pid` is still there and not a zombie.
    static func isRunning(_ pid: pid_t) -> Bool {
        stat(of: pid).map { $0.state != UInt8(ascii: "Z") } ?? false
    }

    private static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? bytes : nil }
            bytes += chunk[..<count]
            if bytes.count > 1 << 20 { return bytes }
        }
    }
}
