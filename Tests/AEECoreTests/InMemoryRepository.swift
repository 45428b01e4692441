import Git
@testable import AEECore

/// A repository held in memory for the core's in-process tests: objects kept by the hash of what they hold, refs moved
/// by compare-and-swap and refused as libgit2 refuses (`isExists`, `isModified`), HEAD on a branch. Only what the
/// task store asks of a repository; the store's tests run on it and on libgit2's alike.
final class InMemoryRepository: RecordRepository {
    private enum Object {
        case blob([UInt8])
        case tree([TreeEntry])
        case commit(Commit)
    }

    private var objects: [OID: Object] = [:]
    private(set) var refs: [String: OID] = [:]
    /// The branch HEAD is on.
    var headBranch = "refs/heads/main"
    /// Called with a ref's name before it moves: a test moves it first, as another writer would.
    var beforeUpdate: ((String) throws -> Void)?

    /// Objects are named by the hash of a kind-prefixed text of their content, so equal objects are one.
    private func keep(_ object: Object, as text: [UInt8]) -> OID {
        let oid = Repository.hash(of: text)
        objects[oid] = object
        return oid
    }

    private func missing(_ oid: OID) -> GitError { GitError(.notFound, message: "object \(oid.hex) not found") }

    func resolveReference(_ name: String) throws -> OID? { refs[name] }

    /// Itself: reads from several threads at once only read its dictionaries.
    func handleForAnotherThread() throws -> any RecordRepository { self }

    func references(matching glob: String) throws -> [(name: String, target: OID)] {
        refs.filter { Self.matches($0.key[...], glob[...]) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func referenceNames(in directory: String, startingWith prefix: String) -> [String] {
        refs.keys.filter { $0.hasPrefix(directory + prefix) && !$0.dropFirst(directory.count).contains("/") }.sorted()
    }

    /// `*` matches any run of characters, slashes too, as libgit2's ref globs do.
    private static func matches(_ name: Substring, _ glob: Substring) -> Bool {
        guard let first = glob.first else { return name.isEmpty }
        if first == "*" { return name.indices.contains { matches(name[$0...], glob.dropFirst()) } || matches(name[name.endIndex...], glob.dropFirst()) }
        return name.first == first && matches(name.dropFirst(), glob.dropFirst())
    }

    func headCommit() throws -> OID? { refs[headBranch] }

    func commit(_ oid: OID) throws -> Commit {
        guard case .commit(let commit) = objects[oid] else { throw missing(oid) }
        return commit
    }

    func entries(ofTree tree: OID) throws -> [TreeEntry] {
        guard case .tree(let entries) = objects[tree] else { throw missing(tree) }
        return entries
    }

    func blob(_ oid: OID) throws -> [UInt8] {
        guard case .blob(let bytes) = objects[oid] else { throw missing(oid) }
        return bytes
    }

    func writeBlob(_ bytes: [UInt8]) throws -> OID {
        keep(.blob(bytes), as: Array("blob\n".utf8) + bytes)
    }

    func writeTree(base: OID?, applying updates: [TreeUpdate]) throws -> OID {
        var entries = try base.map { try self.entries(ofTree: $0) } ?? []
        var nested: [String: [TreeUpdate]] = [:]
        for update in updates {
            let parts = update.path.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                entries.removeAll { $0.name == update.path }
                if let oid = update.blob { entries.append(TreeEntry(name: update.path, oid: oid, isTree: update.isTree, mode: update.isTree ? 0o040000 : 0o100644)) }
                continue
            }
            nested[parts[0], default: []].append(update.isTree ? TreeUpdate(path: parts[1], tree: update.blob!) : TreeUpdate(path: parts[1], blob: update.blob))
        }
        for (name, inner) in nested {
            let existing = entries.first { $0.name == name && $0.isTree }?.oid
            let subtree = try writeTree(base: existing, applying: inner)
            entries.removeAll { $0.name == name }
            // As git, no empty trees.
            if try !self.entries(ofTree: subtree).isEmpty { entries.append(TreeEntry(name: name, oid: subtree, isTree: true, mode: 0o040000)) }
        }
        entries.sort { $0.name < $1.name }
        return keep(.tree(entries), as: Array(("tree\n" + entries.map { "\($0.mode) \($0.name) \($0.oid.hex)\n" }.joined()).utf8))
    }

    func writeCommit(tree: OID, parents: [OID], author: Signature, committer: Signature, message: String) throws -> OID {
        for oid in [tree] + parents where objects[oid] == nil { throw missing(oid) }
        let text = "commit\ntree \(tree.hex)\n" + parents.map { "parent \($0.hex)\n" }.joined()
            + "author \(author.name) \(author.time)\ncommitter \(committer.name) \(committer.time)\n\n" + message
        let oid = Repository.hash(of: Array(text.utf8))
        objects[oid] = .commit(Commit(oid: oid, tree: tree, parents: parents, message: message))
        return oid
    }

    func updateReference(_ name: String, to target: OID, expecting expected: OID?, reflogMessage: String) throws {
        try beforeUpdate?(name)
        guard case .commit = objects[target] else { throw missing(target) }
        if let expected {
            guard refs[name] == expected else { throw GitError(.modified, message: "\(name) moved") }
        } else {
            // A ref is a file: neither `a` beside `a/b` nor `a/b` beside `a`.
            guard refs[name] == nil, !refs.keys.contains(where: { $0.hasPrefix(name + "/") || name.hasPrefix($0 + "/") }) else {
                throw GitError(.exists, message: "\(name) exists")
            }
        }
        refs[name] = target
    }

    /// Points `name` at `target` at once, as another process writing the repository would.
    func force(_ name: String, to target: OID) {
        refs[name] = target
    }

    func deleteReference(_ name: String, expecting expected: OID) throws {
        try beforeUpdate?(name)
        guard refs[name] == expected else { throw GitError(.modified, message: "\(name) moved") }
        refs[name] = nil
    }
}
