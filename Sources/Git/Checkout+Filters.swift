import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// Whether checking a tree (seen by `census`) out into this repository's working tree, holding nothing yet but
    /// its `.git`, could run a filter (line endings, `ident`, a `filter=` driver such as git-lfs): only when attributes
    /// exist somewhere libgit2 reads them from (the tree's and the index's `.gitattributes`, the git directory's
    /// `info/attributes`, the user's `core.attributesFile` and the system's) or `core.autocrlf` or `core.eol` is set.
    /// (In a working tree holding files, an untracked `.gitattributes` could add some: there, always ask libgit2.)
    /// libgit2 looks each file's attributes up before writing it, resolving its whole path with realpath(3) every
    /// time: a third of a large checkout's time, spent for nothing when no filter can apply.
    func filtersMayApply(_ census: TreeCensus) throws -> Bool {
        let config = try configuration()
        if let autocrlf = try config.string("core.autocrlf"), Config.parseBool(autocrlf) != false { return true }
        if try config.string("core.eol") != nil { return true }
        var attributeFiles = [commonDirectory + "info/attributes", try userFile(setBy: "core.attributesfile", named: "attributes"),
                              "/etc/gitattributes"]
        // libgit2 reads an XDG_CONFIG_HOME that is set but empty as the current directory.
        if let xdg = getenv("XDG_CONFIG_HOME"), xdg.pointee == 0 { attributeFiles.append("git/attributes") }
        if attributeFiles.contains(where: { access($0, F_OK) == 0 }) { return true }
        return try census.holdsAttributesFile || indexHoldsAttributesFile()
    }

    /// Whether the index has a `.gitattributes` at any depth (in any case: with `core.ignoreCase` libgit2 finds it so).
    private func indexHoldsAttributesFile() throws -> Bool {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "git_repository_index")
        defer { git_index_free(index) }
        // As the checkout will read it: anew if the file changed since this handle loaded it.
        try check(git_index_read(index, 0), "git_index_read")
        let name = ".gitattributes"
        for position in 0..<git_index_entrycount(index) {
            guard let path = git_index_get_byindex(index, position)?.pointee.path else { continue }
            let length = strlen(path)
            if length >= name.utf8.count, strcasecmp(path + (length - name.utf8.count), name) == 0,
               length == name.utf8.count || path[length - name.utf8.count - 1] == CChar(UInt8(ascii: "/")) { return true }
        }
        return false
    }

    /// A file of the user's git settings: the path `key` names (`~/` expanded), else `name` in git's XDG folder
    /// (`$XDG_CONFIG_HOME/git/`, by default `~/.config/git/`), as git looks for its global ignore and attributes files.
    func userFile(setBy key: String, named name: String) throws -> String {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        let home = variable("HOME") ?? ""
        let path = try configuration().string(key) ?? (variable("XDG_CONFIG_HOME") ?? home + "/.config") + "/git/" + name
        return path.hasPrefix("~/") ? home + path.dropFirst() : path
    }
}

/// One walk of a tree, for a checkout into an empty working tree: how many files each tree in it holds, and whether
/// any holds a `.gitattributes` (in any case: with `core.ignoreCase` libgit2 finds it so).
struct TreeCensus {
    /// Files (blobs, links, submodules) at any depth, by tree id.
    private(set) var files: [OID: Int] = [:]
    private(set) var holdsAttributesFile = false

    init(of tree: OID, in repository: Repository) throws {
        _ = try visit(tree, repository)
    }

    private mutating func visit(_ tree: OID, _ repository: Repository) throws -> Int {
        if let known = files[tree] { return known }
        var count = 0
        try repository.withTree(tree) { handle in
            for index in 0..<git_tree_entrycount(handle) {
                guard let entry = git_tree_entry_byindex(handle, index) else { continue }
                if strcasecmp(git_tree_entry_name(entry), ".gitattributes") == 0 { holdsAttributesFile = true }
                count += git_tree_entry_type(entry) == GIT_OBJECT_TREE ? try visit(OID(git_tree_entry_id(entry).pointee), repository) : 1
            }
        }
        files[tree] = count
        return count
    }
}
