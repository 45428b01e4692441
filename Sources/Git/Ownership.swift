#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// The nearest repository at or above `directory` (a `.git` directory or file, or a bare repository's `HEAD`
    /// beside `objects`) that belongs to another user, as git finds it before it refuses it for dubious ownership;
    /// nil when the nearest one is the user's own, or there is none. (libgit2 1.5 reports such a repository as not
    /// found at all.)
    public static func foreignRepository(above directory: String) -> String? {
        var path = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        while true {
            for candidate in [path + "/.git", path] where isRepository(candidate) {
                var info = stat()
                guard stat(candidate, &info) == 0 else { return nil }
                return info.st_uid == geteuid() ? nil : path
            }
            guard let slash = path.lastIndex(of: "/"), path != "/" else { return nil }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
        }
    }

    private static func isRepository(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        if info.st_mode & S_IFMT == S_IFREG { return path.hasSuffix("/.git") }
        return stat(path + "/HEAD", &info) == 0 && stat(path + "/objects", &info) == 0
    }
}
