import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a tree, copied out of libgit2.
public struct TreeEntry: Sendable, Equatable {
    public let name: String
    public let oid: OID
    public let isTree: Bool
    /// The git file mode (0o100644, 0o100755, 0o120000, 0o040000, 0o160000).
    public let mode: UInt32

    public init(name: String, oid: OID, isTree: Bool, mode: UInt32) {
        self.name = name
        self.oid = oid
        self.isTree = isTree
        self.mode = mode
    }
}

/// One change to a tree: a path (`a/b/c`, no leading slash) and the blob (or whole tree) to put there, or nil to remove it.
public struct TreeUpdate: Sendable {
    public let path: String
    public let blob: OID?
    /// Whether `blob` is a whole tree put at `path`.
    public let isTree: Bool

    public init(path: String, blob: OID?) {
        self.path = path
        self.blob = blob
        isTree = false
    }

    /// Puts the existing tree `tree` at `path`, replacing whatever was there.
    public init(path: String, tree: OID) {
        self.path = path
        blob = tree
        isTree = true
    }
}

extension Repository {
    func withTree<T>(_ oid: OID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var handle: OpaquePointer?
        var raw = oid.raw
        try check(git_tree_lookup(&handle, pointer, &raw), "git_tree_lookup")
        defer { git_tree_free(handle) }
        return try body(handle!)
    }

    /// The object at `path` inside `tree`, or nil when nothing is there.
    public func entry(at path: String, inTree tree: OID) throws -> TreeEntry? {
        try withTree(tree) { handle in
            var entry: OpaquePointer?
            let result = git_tree_entry_bypath(&entry, handle, path)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check(result, "git_tree_entry_bypath")
            defer { git_tree_entry_free(entry) }
            return TreeEntry(entry!)
        }
    }

    /// The entries of the tree at `tree`.
    public func entries(ofTree tree: OID) throws -> [TreeEntry] {
        try withTree(tree) { handle in
            (0..<git_tree_entrycount(handle)).map { TreeEntry(git_tree_entry_byindex(handle, $0)!) }
        }
    }

    /// The contents of the blob at `path` in `tree`, or nil when there is no blob there.
    public func blob(at path: String, inTree tree: OID) throws -> [UInt8]? {
        guard let entry = try entry(at: path, inTree: tree), !entry.isTree else { return nil }
        return try blob(entry.oid)
    }

    public func blob(_ oid: OID) throws -> [UInt8] {
        var handle: OpaquePointer?
        var raw = oid.raw
        try check(git_blob_lookup(&handle, pointer, &raw), "git_blob_lookup")
        defer { git_blob_free(handle) }
        let size = Int(git_blob_rawsize(handle))
        guard size > 0, let bytes = git_blob_rawcontent(handle) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: size))
    }

    public func writeBlob(_ bytes: [UInt8]) throws -> OID {
        var oid = git_oid()
        _ = try bytes.withUnsafeBytes { buffer in
            try check(git_blob_create_from_buffer(&oid, pointer, buffer.baseAddress, buffer.count), "git_blob_create_from_buffer")
        }
        return OID(oid)
    }

    /// Writes the tree that is `base` (or an empty tree) with `updates` applied.
    /// Only the trees along the changed paths are rebuilt, so the cost follows the depth and width of those paths, not the size of the repository.
    public func writeTree(base: OID?, applying updates: [TreeUpdate]) throws -> OID {
        // No base: libgit2 starts from nothing, without writing an empty tree that nothing would refer to.
        guard let base else { return try writeTree(baseHandle: nil, applying: updates) }
        return try withTree(base) { try writeTree(baseHandle: $0, applying: updates) }
    }

    private func writeTree(baseHandle: OpaquePointer?, applying updates: [TreeUpdate]) throws -> OID {
        var oid = git_oid()
        // The C strings must stay alive for the whole call, so they are duplicated and freed after it.
        let paths = updates.map { strdup($0.path)! }
        defer { paths.forEach { free($0) } }
        var raw = zip(updates, paths).map { update, path in
            git_tree_update(
                action: update.blob == nil ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT,
                id: update.blob?.raw ?? git_oid(),
                filemode: update.isTree ? GIT_FILEMODE_TREE : GIT_FILEMODE_BLOB,
                path: UnsafePointer(path)
            )
        }
        try check(git_tree_create_updated(&oid, pointer, baseHandle, raw.count, &raw), "git_tree_create_updated")
        return OID(oid)
    }

    public func writeEmptyTree() throws -> OID {
        var builder: OpaquePointer?
        try check(git_treebuilder_new(&builder, pointer, nil), "git_treebuilder_new")
        defer { git_treebuilder_free(builder) }
        var oid = git_oid()
        try check(git_treebuilder_write(&oid, builder), "git_treebuilder_write")
        return OID(oid)
    }
}

extension TreeEntry {
    init(_ entry: OpaquePointer) {
        name = String(cString: git_tree_entry_name(entry))
        oid = OID(git_tree_entry_id(entry).pointee)
        isTree = git_tree_entry_type(entry) == GIT_OBJECT_TREE
        mode = git_tree_entry_filemode(entry).rawValue
    }
}

extension Repository {
    /// The id git would give `bytes` as a blob, without writing anything.
    public static func hash(of bytes: [UInt8]) -> OID {
        _ = LibGit2.ready
        var oid = git_oid()
        bytes.withUnsafeBytes { _ = git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }
        return OID(oid)
    }
}

extension Repository {
    /// The id `tree` would have without the entry at `path` (`a/b`), computed in memory: no object is written, so a
    /// lookup key derived from a tree leaves nothing dangling for `git fsck` to report.
    public func treeID(_ tree: OID, removing path: String) throws -> OID {
        try treeID(tree, removing: path.split(separator: "/").map(String.init)) ?? Self.hash(ofTree: [])
    }

    /// nil when the tree would be empty (git drops empty subtrees).
    private func treeID(_ tree: OID, removing components: [String]) throws -> OID? {
        var entries = try withTree(tree) { handle in
            (0..<git_tree_entrycount(handle)).map { index in
                let entry = git_tree_entry_byindex(handle, index)!
                return (mode: git_tree_entry_filemode(entry).rawValue, name: String(cString: git_tree_entry_name(entry)),
                        oid: OID(git_tree_entry_id(entry).pointee), isTree: git_tree_entry_type(entry) == GIT_OBJECT_TREE)
            }
        }
        guard let first = components.first, let index = entries.firstIndex(where: { $0.name == first }) else { return tree }
        if components.count > 1 {
            guard entries[index].isTree else { return tree }
            if let subtree = try treeID(entries[index].oid, removing: Array(components.dropFirst())) {
                entries[index].oid = subtree
            } else {
                entries.remove(at: index)
            }
        } else {
            entries.remove(at: index)
        }
        if entries.isEmpty { return nil }
        return Self.hash(ofTree: entries.map { ($0.mode, $0.name, $0.oid) })
    }

    /// The id of a tree object with these entries, which must be in git's order already.
    static func hash(ofTree entries: [(mode: UInt32, name: String, oid: OID)]) -> OID {
        _ = LibGit2.ready
        var bytes: [UInt8] = []
        for entry in entries {
            bytes += Array(String(entry.mode, radix: 8).utf8) + [0x20] + Array(entry.name.utf8) + [0]
            withUnsafeBytes(of: entry.oid.raw.id) { bytes += $0 }
        }
        var oid = git_oid()
        bytes.withUnsafeBytes { _ = git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_TREE) }
        return OID(oid)
    }
}
