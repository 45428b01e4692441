#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The workspace's own git-lfs object store (`lfs.storage`), so that what git-lfs does there (`git lfs prune`
/// deletes what the workspace's refs do not use) never deletes the user's large files. It starts with a symbolic
/// link to each object of the user's store (any file system; a prune removes the link, not the object), and the
/// objects git-lfs stores there (a file an agent adds, cleaned) are linked or copied into the user's store, where
/// a plain `git checkout` of the task's commits looks for them.
struct LFSStore {
    /// The user's store's `objects` folder (`<git dir>/lfs/objects`).
    let users: String
    /// The workspace's store's `objects` folder.
    let workspace: String

    /// Links each object of the user's store that the workspace's store does not have. Nothing to do for a
    /// repository that does not use git-lfs.
    func borrow() {
        for path in objectPaths(under: users) where !exists(workspace + path) {
            makeParents(of: workspace + path)
            _ = symlink(users + path, workspace + path)
        }
    }

    /// Puts the objects git-lfs stored in the workspace (files, not the links `borrow` made) into the user's store.
    func give() throws {
        for path in objectPaths(under: workspace) where !isLink(workspace + path) && !exists(users + path) {
            makeParents(of: users + path)
            if link(workspace + path, users + path) != 0 && errno != EEXIST {
                // Another file system: a copy, through a temporary name so no half-copied object is ever seen.
                do {
                    let temporary = users + path + ".aee-new"
                    try Data(contentsOf: URL(fileURLWithPath: workspace + path)).write(to: URL(fileURLWithPath: temporary))
                    guard rename(temporary, users + path) == 0 else { throw CocoaError(.fileWriteUnknown) }
                } catch {
                    throw RepositoryError.fileSystem(path: users + path, reason: "the large file cannot be stored in your repository's LFS store")
                }
            }
        }
    }

    /// The objects under a store's `objects` folder, as `/aa/bb/<oid>` paths.
    private func objectPaths(under root: String) -> [String] {
        var found: [String] = []
        for first in entries(root) {
            for second in entries(root + "/" + first) {
                found += entries(root + "/" + first + "/" + second).map { "/\(first)/\(second)/\($0)" }
            }
        }
        return found
    }

    private func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".aee-new") }
    }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private func isLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    private func makeParents(of path: String) {
        try? FileManager.default.createDirectory(atPath: String(path[..<path.lastIndex(of: "/")!]), withIntermediateDirectories: true)
    }
}
