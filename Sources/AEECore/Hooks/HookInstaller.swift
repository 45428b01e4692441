import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Puts the pre-push hook in place without clobbering one that is there, and takes it out again.
public struct HookInstaller {
    /// The effective hooks directory, with a trailing slash (git's `git rev-parse --git-path hooks`).
    public let directory: String
    /// Where `install` notes that it made the directory, so that `uninstall` takes away what it added, the folder too.
    let madeNote: String

    public enum Outcome: Equatable, Sendable {
        case installed
        case alreadyInstalled
        /// A foreign hook was kept as `pre-push.aee-chained` and will run first.
        case installedChaining
        /// An earlier version of ours was replaced by the current one.
        case updated
        case removed
        /// Ours was removed and the chained hook put back as `pre-push`.
        case removedRestoring
        /// There was no pre-push hook to remove.
        case nothingToRemove
    }

    var hook: String { directory + "pre-push" }
    var chained: String { directory + HookScript.chainedName }
    /// Where the pre-commit framework's own pre-push hook keeps the hook it found there, and runs it first.
    var legacy: String { directory + "pre-push.legacy" }

    /// Where git aee's hook is, or goes: `pre-push`, or `pre-push.legacy` when `pre-push` is the pre-commit
    /// framework's. That is pre-commit's own way of chaining, which its `install`, run again, leaves alone; moved
    /// aside by ours instead, its hook and ours ran each other, and pre-commit stopped every push.
    public var place: String {
        FileManager.default.contents(atPath: hook).map { Self.isPreCommits(String(decoding: $0, as: UTF8.self)) } == true ? legacy : hook
    }

    public func install(force: Bool) throws -> Outcome {
        return try doing("install the pre-push hook") {
            let manager = FileManager.default
            if !manager.fileExists(atPath: directory) {
                // The first folder made, for `uninstall`: the folders above the hooks directory may be new too.
                var top = String(directory.dropLast())
                while let slash = top.lastIndex(of: "/"), slash != top.startIndex, !manager.fileExists(atPath: String(top[..<slash])) {
                    top = String(top[..<slash])
                }
                do { try manager.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                    throw RepositoryError.fileSystem(path: directory, reason: "cannot create the hooks directory")
                }
                let note = URL(fileURLWithPath: madeNote)
                try? manager.createDirectory(at: note.deletingLastPathComponent(), withIntermediateDirectories: true)
                try? Data((directory + "\n" + top).utf8).write(to: note)
            }
            try untangle()
            let place = place
            var outcome = Outcome.installed
            if let existing = manager.contents(atPath: place) {
                let text = String(decoding: existing, as: UTF8.self)
                if text == HookScript.prePush { return .alreadyInstalled }
                if HookScript.earlier.contains(text) {
                    outcome = .updated
                } else if !isOurs(existing) {
                    // The same hook aside is what an install stopped half-way left: it goes on from there.
                    if let aside = manager.contents(atPath: chained), aside != existing { throw HookError.chainOccupied(hook: place, chained: chained) }
                    if !force, dependsOnItsName(text) { throw HookError.nameDependent(place) }
                    // Kept aside under a second name before ours replaces it in one rename: stopped at any moment,
                    // the install leaves a `pre-push` that guards the push, the user's or ours.
                    try keepAside(place, as: chained)
                    outcome = .installedChaining
                } else if !force {
                    throw HookError.edited(place)
                }
            }
            try write(HookScript.prePush, to: place)
            return outcome
        }
    }

    /// Takes git aee's hook out, putting back the one it chained; an edited copy of it only with `force`, as
    /// `install` replaces one only with `force`.
    public func uninstall(force: Bool) throws -> Outcome {
        return try doing("uninstall the pre-push hook") {
            let place = place
            guard let existing = FileManager.default.contents(atPath: place) else {
                if place == legacy { throw HookError.notInstalled(hook) }
                return .nothingToRemove
            }
            guard isOurs(existing) else { throw HookError.notInstalled(hook) }
            let text = String(decoding: existing, as: UTF8.self)
            if text != HookScript.prePush, !HookScript.earlier.contains(text), !force { throw HookError.edited(place) }
            // The chained hook renamed over ours, in one step: no moment without a hook.
            if FileManager.default.fileExists(atPath: chained) {
                try move(chained, to: place)
                return .removedRestoring
            }
            guard unlink(place) == 0 else { throw RepositoryError.fileSystem(path: place, reason: String(cString: strerror(errno))) }
            removeMadeFolders()
            return .removed
        }
    }

    /// Removes the folders `install` made, up from the hooks directory, once nothing else is in them (rmdir refuses
    /// one that is not empty).
    private func removeMadeFolders() {
        guard let note = FileManager.default.contents(atPath: madeNote),
              case let lines = String(decoding: note, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
              lines.count == 2, lines[0] == directory, directory.hasPrefix(lines[1] + "/") else { return }
        var folder = String(directory.dropLast())
        while rmdir(folder) == 0, folder != lines[1], let slash = folder.lastIndex(of: "/") {
            folder = String(folder[..<slash])
        }
        if access(directory, F_OK) != 0 { unlink(madeNote) }
    }

    /// Puts right what an earlier git aee made of a pre-commit framework's pre-push hook: chained aside as ours'
    /// `pre-push.aee-chained`, it goes back to `pre-push` and ours to `pre-push.legacy` (where a later `pre-commit
    /// install` would have moved it, closing the loop); a copy left aside once that happened goes.
    private func untangle() throws {
        let manager = FileManager.default
        guard let aside = manager.contents(atPath: chained), Self.isPreCommits(String(decoding: aside, as: UTF8.self)),
              let current = manager.contents(atPath: hook) else { return }
        if isOurs(current), !manager.fileExists(atPath: legacy) {
            // Ours is copied first and pre-commit's renamed over it, so that a push at any moment finds a hook.
            try write(String(decoding: current, as: UTF8.self), to: legacy)
            try move(chained, to: hook)
        } else if Self.isPreCommits(String(decoding: current, as: UTF8.self)), manager.contents(atPath: legacy).map(isOurs) == true {
            guard unlink(chained) == 0 else { throw RepositoryError.fileSystem(path: chained, reason: String(cString: strerror(errno))) }
        }
    }

    /// Whether a hook is the one the pre-commit framework (https://pre-commit.com) writes.
    static func isPreCommits(_ script: String) -> Bool {
        script.contains("# File generated by pre-commit: https://pre-commit.com")
    }

    /// Whether a hook's script finds what it runs from its own name, itself or in a file beside it that it sources
    /// (husky 9's `. "$(dirname "$0")/h"`, which runs `.husky/$(basename "$0")`): renamed, such a hook runs nothing
    /// and passes. (One that only sources a library beside it, or changes to its own directory as pre-commit's does,
    /// runs the same renamed.)
    func dependsOnItsName(_ script: String) -> Bool {
        let usesName = { (text: String) in
            ["basename \"$0\"", "basename $0", "basename -- \"$0\"", "${0##*/}"].contains { text.contains($0) }
        }
        if usesName(script) { return true }
        let sourced = script.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let words = String(line).trimmingWhitespace
            for prefix in [". \"$(dirname \"$0\")/", ". \"$(dirname -- \"$0\")/", ". \"${0%/*}/", "source \"$(dirname \"$0\")/"] where words.hasPrefix(prefix) {
                return words.dropFirst(prefix.count).prefix { $0 != "\"" }.description
            }
            return nil
        }
        return sourced.contains { name in FileManager.default.contents(atPath: directory + name).map { usesName(String(decoding: $0, as: UTF8.self)) } ?? false }
    }

    func isOurs(_ contents: Data) -> Bool {
        String(decoding: contents, as: UTF8.self).contains(HookScript.marker)
    }

    private func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw RepositoryError.fileSystem(path: from, reason: String(cString: strerror(errno))) }
    }

    /// Written beside the target and renamed over it, so git never runs half a hook.
    private func write(_ text: String, to path: String) throws {
        do {
            try replaceFile(path, with: Array(text.utf8), mode: 0o755)
        } catch let error as GitError {
            throw RepositoryError.fileSystem(path: path, reason: "cannot be written (\(error.reason))")
        }
    }

    /// A second name for the hook at `path` (a hard link: the same file, its mode and owner kept), or, where the
    /// file system has none, a copy with its mode.
    private func keepAside(_ path: String, as aside: String) throws {
        unlink(aside)
        if link(path, aside) == 0 { return }
        var info = stat()
        guard let bytes = FileManager.default.contents(atPath: path), stat(path, &info) == 0 else {
            throw RepositoryError.fileSystem(path: path, reason: "cannot be read")
        }
        do {
            try replaceFile(aside, with: Array(bytes), mode: info.st_mode & 0o7777)
        } catch let error as GitError {
            throw RepositoryError.fileSystem(path: aside, reason: "cannot be written (\(error.reason))")
        }
    }
}
