#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension Workspace {
    /// Paths as typed in the current directory, made relative to the working tree's root as git reads pathspecs:
    /// relative ones from here, absolute ones within the tree, `:/path` and `:(top)path` from the root. One that
    /// leads outside the tree, or uses pathspec magic git aee does not read (`:!x`, `:(glob)x`), is refused. A path
    /// that names the root itself means everything: the result is then empty, as no paths are.
    public func pathsFromHere(_ typed: [String]) throws -> [String] {
        let root = repository.workingDirectory.map(Self.physical)
        let here = Self.physical(FileManager.default.currentDirectoryPath)
        let prefix = root.flatMap { here.hasPrefix($0) ? String(here.dropFirst($0.count)) : nil } ?? ""
        let shownRoot = root.map { String($0.dropLast()) } ?? repository.commonDirectory
        var paths: [String] = []
        var everything = false
        for path in typed {
            var relative: String
            if path.hasPrefix(":/") {
                relative = String(path.dropFirst(2))
            } else if path.hasPrefix(":(top)") {
                relative = String(path.dropFirst(":(top)".count))
            } else if path.hasPrefix(":") {
                throw RepositoryError.unsupportedPathspec(path)
            } else if path.hasPrefix("/") {
                guard let root, let inside = [root, repository.workingDirectory ?? root].first(where: { (path + "/").hasPrefix($0) }) else {
                    throw RepositoryError.pathOutsideRepository(path, root: shownRoot)
                }
                relative = String(path.dropFirst(min(inside.count, path.count)))
            } else {
                relative = prefix + path
            }
            var parts: [Substring] = []
            for part in relative.split(separator: "/") where part != "." {
                if part != ".." {
                    parts.append(part)
                } else if parts.popLast() == nil {
                    throw RepositoryError.pathOutsideRepository(path, root: shownRoot)
                }
            }
            everything = everything || parts.isEmpty
            paths.append(parts.joined(separator: "/"))
        }
        return everything ? [] : paths
    }

    /// `path` with its symbolic links resolved (as the kernel reports the current directory), with a trailing slash;
    /// of a path that does not exist yet, its nearest existing ancestor's resolved, the rest as written.
    static func physical(_ path: String) -> String {
        var existing = path.hasSuffix("/") ? String(path.dropLast()) : path
        var rest = ""
        while !existing.isEmpty {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let text = String(cString: resolved)
                return (text.hasSuffix("/") ? text : text + "/") + rest
            }
            guard let slash = existing.lastIndex(of: "/") else { break }
            rest = existing[existing.index(after: slash)...] + "/" + rest
            existing = slash == existing.startIndex ? (existing == "/" ? "" : "/") : String(existing[..<slash])
        }
        return path.hasSuffix("/") ? path : path + "/"
    }
}
