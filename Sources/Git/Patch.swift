import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// How `Repository.patch` prints a change: as `git diff`, `--name-only`, `--name-status` or `--stat` would.
public enum PatchFormat: Sendable {
    case patch
    case nameOnly
    case nameStatus
    /// `--stat`, with lines at most `width` columns wide.
    case stat(width: Int)
}

/// What git's settings say about printing a change, as the caller read them (`git -c` included, which libgit2 does
/// not read): `core.quotepath`, `diff.renames`, `diff.noprefix`.
public struct PatchStyle: Sendable {
    public enum Renames: Sendable { case none, renames, copies }

    public var quotingNonASCII: Bool
    public var renames: Renames
    public var noPrefix: Bool

    public init(quotingNonASCII: Bool = true, renames: Renames = .renames, noPrefix: Bool = false) {
        self.quotingNonASCII = quotingNonASCII
        self.renames = renames
        self.noPrefix = noPrefix
    }
}

extension Repository {
    /// The change from tree `old` (nil: nothing) to tree `new`, limited to `paths` when any are given (git's
    /// pathspecs), leaving out whatever is under `excluded` (a directory, `a/b`), printed in `format` as `style` says.
    public func patch(from old: OID?, to new: OID, paths: [String], excluding excluded: String, format: PatchFormat,
                      style: PatchStyle = PatchStyle()) throws -> [UInt8] {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        let noPrefix = style.noPrefix ? strdup("") : nil
        defer { free(noPrefix) }
        if let noPrefix {
            options.old_prefix = UnsafePointer(noPrefix)
            options.new_prefix = UnsafePointer(noPrefix)
        }
        let prefix = ExcludedPrefix(excluded.hasSuffix("/") ? excluded : excluded + "/")
        options.notify_cb = { _, delta, _, payload in
            guard let payload, let path = delta?.pointee.new_file.path ?? delta?.pointee.old_file.path else { return 0 }
            return String(cString: path).hasPrefix(Unmanaged<ExcludedPrefix>.fromOpaque(payload).takeUnretainedValue().value) ? 1 : 0
        }
        options.payload = Unmanaged.passUnretained(prefix).toOpaque()
        // A file that became a link (or the other way) is one change, `T`, in the lists of names git prints; its patch
        // shows the old and the new as two, as git's does. (libgit2 counts no lines for one such change, so `--stat`
        // takes the two and makes them one row.)
        switch format {
        case .nameOnly, .nameStatus: options.flags |= GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        case .patch, .stat: break
        }
        let quoting = PathQuoting(nonASCII: style.quotingNonASCII)
        return try withExtendedLifetime(prefix) {
            try withStringArray(paths) { pathspec in
                options.pathspec = pathspec
                var diff: OpaquePointer?
                let made = try withTree(new) { newTree in
                    try old.map { try withTree($0) { oldTree in git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, &options) } }
                        ?? git_diff_tree_to_tree(&diff, pointer, nil, newTree, &options)
                }
                try check(made, "git_diff_tree_to_tree")
                defer { git_diff_free(diff) }
                if style.renames != .none {
                    var find = git_diff_find_options()
                    try check(git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), "git_diff_find_options_init")
                    find.flags = GIT_DIFF_FIND_RENAMES.rawValue | (style.renames == .copies ? GIT_DIFF_FIND_COPIES.rawValue : 0)
                    try check(git_diff_find_similar(diff, &find), "git_diff_find_similar")
                }
                var buffer = git_buf()
                defer { git_buf_dispose(&buffer) }
                switch format {
                case .patch: try check(git_diff_to_buf(&buffer, diff, GIT_DIFF_FORMAT_PATCH), "git_diff_to_buf")
                case .nameOnly: return Self.names(of: diff!, quoting)
                case .nameStatus: return Self.nameStatus(of: diff!, quoting)
                case .stat(let width): return Array(try Self.diffStat(of: diff!, quoting).formatted(width: width).utf8)
                }
                guard let bytes = buffer.ptr else { return [] }
                return Self.tabbedFileNames(Array(UnsafeBufferPointer(start: UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt8.self), count: buffer.size)))
            }
        }
    }
}

extension Repository {
    /// `--name-status` as git prints it: a status letter (`R` and `C` with their similarity) and the path, or both
    /// paths for a rename or copy. (libgit2's own form marks executables with `*`, which git does not.)
    static func nameStatus(of diff: OpaquePointer, _ quoting: PathQuoting) -> [UInt8] {
        var lines = ""
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let old = quoting.quoted(delta.old_file.path.map { String(cString: $0) } ?? "")
            let new = delta.new_file.path.map { quoting.quoted(String(cString: $0)) } ?? old
            switch delta.status {
            case GIT_DELTA_ADDED: lines += "A\t\(new)\n"
            case GIT_DELTA_DELETED: lines += "D\t\(old)\n"
            case GIT_DELTA_TYPECHANGE: lines += "T\t\(new)\n"
            case GIT_DELTA_RENAMED, GIT_DELTA_COPIED:
                let score = String(delta.similarity)
                lines += (delta.status == GIT_DELTA_RENAMED ? "R" : "C") + String(repeating: "0", count: max(0, 3 - score.count)) + score + "\t\(old)\t\(new)\n"
            default: lines += "M\t\(new)\n"
            }
        }
        return Array(lines.utf8)
    }

    /// `--name-only` as git prints it: each changed path once, quoted as git quotes it.
    static func names(of diff: OpaquePointer, _ quoting: PathQuoting) -> [UInt8] {
        let names = (0..<git_diff_num_deltas(diff)).compactMap { index -> String? in
            guard let delta = git_diff_get_delta(diff, index)?.pointee, let path = delta.new_file.path ?? delta.old_file.path else { return nil }
            return quoting.quoted(String(cString: path)) + "\n"
        }
        return Array(names.joined().utf8)
    }
}

/// How git prints a path in a list (`core.quotepath`): in double quotes, with C escapes and octal bytes, when it holds
/// a control character, `"` or `\`, or (unless `core.quotepath` is false) a byte beyond ASCII.
struct PathQuoting {
    let nonASCII: Bool

    func quoted(_ path: String) -> String {
        let bytes = Array(path.utf8)
        guard bytes.contains(where: needsQuoting) else { return path }
        var out = "\""
        for byte in bytes {
            switch byte {
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0B: out += "\\v"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case _ where needsQuoting(byte): out += "\\" + String(byte, radix: 8).leftPaddedWithZeros(to: 3)
            default: out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out + "\""
    }

    private func needsQuoting(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (nonASCII && byte >= 0x80)
    }
}

private extension String {
    func leftPaddedWithZeros(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

extension Repository {
    /// The patch with a tab after a `---`/`+++` name that holds a space, as git prints it so that `patch` and other
    /// tools find where the name ends (libgit2 prints none). Only the lines of a file's header, before its first hunk.
    static func tabbedFileNames(_ patch: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(patch.count + 64)
        var inHeader = false
        for (index, line) in patch.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if index > 0 { out.append(UInt8(ascii: "\n")) }
            out += line
            if line.starts(with: "diff --git ".utf8) {
                inHeader = true
            } else if line.starts(with: "@@".utf8) {
                inHeader = false
            } else if inHeader, line.starts(with: "--- ".utf8) || line.starts(with: "+++ ".utf8),
                      line.dropFirst(4).contains(UInt8(ascii: " ")), line.last != UInt8(ascii: "\t") {
                out.append(UInt8(ascii: "\t"))
            }
        }
        return out
    }

    /// The rows of `--stat`: each file's lines added and deleted (a binary file's sizes), a file that became a link
    /// (or the other way), which the diff holds as a deletion and an addition, as one row.
    static func diffStat(of diff: OpaquePointer, _ quoting: PathQuoting) throws -> DiffStat {
        // Each change's lines and sizes (a binary file shows its sizes), before a typechange's two halves are one.
        var changes: [StatChange] = []
        for index in 0..<git_diff_num_deltas(diff) {
            var patch: OpaquePointer?
            try check(git_patch_from_diff(&patch, diff, index), "git_patch_from_diff")
            defer { git_patch_free(patch) }
            guard let delta = git_patch_get_delta(patch)?.pointee else { continue }
            var context = 0, added = 0, deleted = 0
            try check(git_patch_line_stats(&context, &added, &deleted, patch), "git_patch_line_stats")
            let old = delta.old_file.path.map { String(cString: $0) } ?? "", new = delta.new_file.path.map { String(cString: $0) } ?? old
            let renamed = delta.status == GIT_DELTA_RENAMED || delta.status == GIT_DELTA_COPIED
            // The same content (a mode change) has no sizes to show, as git shows none.
            let same = OID(delta.old_file.id) == OID(delta.new_file.id)
            var change = StatChange(name: renamed ? DiffStat.renameName(from: old, to: new, quoting) : quoting.quoted(new), path: new,
                                    status: delta.status, added: added, deleted: deleted,
                                    newSize: same ? 0 : Int(delta.new_file.size), oldSize: same ? 0 : Int(delta.old_file.size),
                                    binary: delta.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0)
            if let last = changes.last, last.path == new, Set([delta.status, last.status]) == [GIT_DELTA_DELETED, GIT_DELTA_ADDED] {
                changes.removeLast()
                change = delta.status == GIT_DELTA_ADDED ? StatChange(typechange: last, then: change) : StatChange(typechange: change, then: last)
            }
            changes.append(change)
        }
        return DiffStat(files: changes.map(\.file))
    }
}

/// One change's counts for `--stat`: its lines, and its sizes, which a binary file shows instead.
private struct StatChange {
    var name: String
    var path: String
    var status: git_delta_t
    var added: Int, deleted: Int
    var newSize: Int, oldSize: Int
    var binary: Bool

    init(name: String, path: String, status: git_delta_t, added: Int, deleted: Int, newSize: Int, oldSize: Int, binary: Bool) {
        (self.name, self.path, self.status) = (name, path, status)
        (self.added, self.deleted, self.newSize, self.oldSize, self.binary) = (added, deleted, newSize, oldSize, binary)
    }

    /// A file turned into a link (or the other way), which the diff holds as the deletion `gone` and the addition `came`.
    init(typechange gone: StatChange, then came: StatChange) {
        self.init(name: came.name, path: came.path, status: GIT_DELTA_TYPECHANGE, added: gone.added + came.added, deleted: gone.deleted + came.deleted,
                  newSize: came.newSize, oldSize: gone.oldSize, binary: gone.binary || came.binary)
    }

    var file: DiffStat.File {
        DiffStat.File(name: name, added: binary ? newSize : added, deleted: binary ? oldSize : deleted, binary: binary)
    }
}

/// The path prefix a diff leaves out, handed to libgit2's notify callback.
private final class ExcludedPrefix {
    let value: String
    init(_ value: String) { self.value = value }
}
