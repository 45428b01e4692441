import Git
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Workspaces of ended tasks, kept warm for the next ones of the same repository: a new task takes one and moves it
/// to its commit, so only the files that differ are written, where making a workspace writes every file.
///
///     <repository folder>/.pool-<k>/             a pooled checkout (k from 1 to the pool's size)
///     <repository folder>/.state/.pool-<k>/      its git directory, index and ready marker
///
/// A workspace is one task's while it is at that task's place (the task's claim keeps every other run out), and a
/// pooled one is nobody's: taking it is renaming it to the task's place. The short steps of taking and giving back
/// hold `flock` on `.state/pool.lock`, which a crash releases. A pooled workspace is available only with its ready
/// marker, removed before it moves either way, so one a crash left half-moved is never taken: it is made anew.
struct WorkspacePool {
    /// Every workspace of the repository.
    let folder: String
    /// How many workspaces are kept (`aee.workspacePool`); 0 keeps none.
    let size: Int

    /// Default of `aee.workspacePool`: a task and the next one, or two at once, start warm.
    static let defaultSize = 2
    /// Most workspaces one repository keeps.
    static let maxSize = 16

    /// Moves a pooled workspace to `location` (where nothing may be yet); returns whether there was one. Its files,
    /// index and git directory are the last task's: `TaskWorkspace` writes its settings anew and moves it.
    func take(into location: WorkspaceLocation) -> Bool {
        guard size > 0 else { return false }
        return locked {
            for slot in slots where access(slot.readyMarker, F_OK) == 0 {
                // One with a link where git aee keeps its files was not given back by git aee: an agent made it.
                if slot.linkInPlace() != nil {
                    try? TaskWorkspace.remove(slot)
                    continue
                }
                unlink(slot.readyMarker)
                if rename(slot.state, location.state) == 0, rename(slot.root, location.root) == 0 {
                    return true
                }
                // Half of it was missing (removed by hand): neither half is used.
                for place in [slot, location] { try? TaskWorkspace.remove(place) }
            }
            return false
        } ?? false
    }

    /// Gives the workspace at `location` (whose task has ended) to the pool when there is room; returns whether it did.
    /// What only that task had is left out: the workspace's own objects (commits an agent made, copied to the
    /// repository or refused) and its calls' files.
    func give(_ location: WorkspaceLocation) -> Bool {
        guard size > 0, access(location.readyMarker, F_OK) == 0 else { return false }
        return locked {
            guard let slot = slots.first(where: { access($0.readyMarker, F_OK) != 0 }) else { return false }
            unlink(location.readyMarker)
            // Whatever stands in the free slot is what a crash left half-moved.
            try? TaskWorkspace.remove(slot)
            guard rename(location.root, slot.root) == 0, rename(location.state, slot.state) == 0 else {
                try? TaskWorkspace.remove(slot)
                return false
            }
            let objects = slot.gitDirectory + "/objects/"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? [] where name != "info" {
                try? removeRecursively(objects + name)
            }
            return (try? replaceFile(slot.readyMarker, with: Array(TaskWorkspace.layout))) != nil
        } ?? false
    }

    /// Removes (with `dryRun`: only names) the pooled workspaces beyond the pool's size and those a crash left
    /// half-moved, with why.
    func prune(dryRun: Bool) -> [(WorkspaceLocation, String)] {
        let names = [folder, folder + ".state/"].flatMap { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }
        let numbers = Set(names.compactMap { $0.hasPrefix(".pool-") ? Int($0.dropFirst(".pool-".count)) : nil }).sorted()
        return locked {
            numbers.compactMap { k in
                let slot = WorkspaceLocation(pooled: k, repositoryFolder: folder)
                guard k > size || access(slot.readyMarker, F_OK) != 0 else { return nil }
                if !dryRun { try? TaskWorkspace.remove(slot) }
                return (slot, k > size ? "beyond aee.workspacePool (\(size))" : "left half-moved by a crash")
            }
        } ?? []
    }

    /// The places of the pool's workspaces, in the order they are taken.
    var slots: [WorkspaceLocation] {
        size > 0 ? (1...size).map { WorkspaceLocation(pooled: $0, repositoryFolder: folder) } : []
    }

    /// What `body` returns, run holding the pool's lock; nil without the lock (a file system without `flock`), so
    /// that nothing is pooled there.
    private func locked<T>(_ body: () -> T) -> T? {
        let descriptor = open(folder + ".state/pool.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { return nil }
        return body()
    }
}
