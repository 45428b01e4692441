import CLibGit2
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// Fewer files than this are checked out on one thread: a second handle and thread cost more than they save.
    static let splitCheckoutFiles = 2_000

    /// Writes `tree` into a working tree holding nothing yet, and into an empty index, on two threads at once: the
    /// tree's paths in two runs of its order with about as many files each, one checked out by this handle, the other
    /// by a second handle into an index of its own, whose entries (with what each file's `stat` said) are then
    /// appended to this one's. For a new workspace of a large tree: creating files is most of a checkout, and the
    /// kernel creates them on two cores about half again as fast. Only where no filter can apply (`filtersMayApply`),
    /// so nothing but blobs is written. Returns false, having written nothing, when it does not apply.
    func checkoutSplit(_ tree: OID, _ census: TreeCensus) throws -> Bool {
        guard let root = workingDirectory, let total = census.files[tree], total >= Self.splitCheckoutFiles,
              try withIndex({ git_index_entrycount($0) }) == 0 else { return false }
        let units = try splitUnits(of: tree, total: total, census)
        guard units.count >= 2 else { return false }
        // Where the two runs are most even.
        var before = 0
        var cut = 1
        var best = Int.max
        for index in 1..<units.count {
            before += units[index - 1].files
            if abs(2 * before - total) < best { (best, cut) = (abs(2 * before - total), index) }
        }
        let twin = try Repository.open(at: gitDirectory, searching: false)
        guard twin.workingDirectory == root else { return false }
        // An index at a path where there is none: empty, and never written (libgit2's checkout must read an index
        // from a file, even one it will not write).
        var twinIndex: OpaquePointer?
        try check(git_index_open(&twinIndex, gitDirectory + "index.aee-split-never-written"), "git_index_open")
        defer { git_index_free(twinIndex) }
        try check(git_repository_set_index(twin.pointer, twinIndex), "git_repository_set_index")

        // The second run on a thread of its own, through its own handle (a libgit2 handle is one thread's at a time).
        nonisolated(unsafe) var second: Result<Void, any Error> = .success(())
        nonisolated(unsafe) let handle = twin
        let paths = units[cut...].map(\.path)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            second = Result { try handle.checkoutLiterally(tree, paths: paths) }
            done.signal()
        }
        let first = Result { try checkoutLiterally(tree, paths: units[..<cut].map(\.path)) }
        done.wait()
        try first.get()
        try second.get()
        try withIndex { index in
            for position in 0..<git_index_entrycount(twinIndex) {
                try check(git_index_add(index, git_index_get_byindex(twinIndex, position)), "git_index_add")
            }
            try check(git_index_write(index), "git_index_write")
        }
        return true
    }

    /// Checks out of `tree` exactly the files under `paths` (names taken as they are, not as patterns), with no filter,
    /// updating this handle's index in memory only.
    private func checkoutLiterally(_ tree: OID, paths: [String]) throws {
        try withTree(tree) { handle in
            var options = git_checkout_options()
            try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "git_checkout_options_init")
            options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_WRITE_INDEX.rawValue
                | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
            options.disable_filters = 1
            try withStringArray(paths) { array in
                options.paths = array
                try check(git_checkout_tree(pointer, handle, &options), "git_checkout_tree")
            }
        }
    }

    /// `tree`'s paths in its order with how many files each holds: its entries, with a directory holding more than
    /// half of all (`total`) replaced by its own entries, so that the two runs can be about even.
    private func splitUnits(of tree: OID, total: Int, _ census: TreeCensus) throws -> [(path: String, files: Int, entry: TreeEntry)] {
        func units(of tree: OID, under prefix: String) throws -> [(path: String, files: Int, entry: TreeEntry)] {
            try entries(ofTree: tree).map { (path: prefix + $0.name, files: $0.isTree ? census.files[$0.oid] ?? 0 : 1, entry: $0) }
        }
        var found = try units(of: tree, under: "")
        while let largest = found.indices.max(by: { found[$0].files < found[$1].files }), 2 * found[largest].files > total,
              found[largest].entry.isTree {
            found.replaceSubrange(largest...largest, with: try units(of: found[largest].entry.oid, under: found[largest].path + "/"))
        }
        return found
    }
}
