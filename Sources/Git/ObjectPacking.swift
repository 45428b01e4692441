import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// libgit2 writes every object loose and never packs. git aee writes about six objects per record step, so a busy
/// repository would hold hundreds of thousands of loose files until git's own `gc --auto` happened to run, and every
/// read of a record would open and inflate a file of its own. This packs them as git's `repack -d --geometric=2`
/// would, without ever deleting an object that is not first in a new pack, written, synced and checked; unreachable
/// objects are packed like any other (pruning them is left to git's gc).
extension Repository {
    /// At most this much of what loose objects hold is packed at once (a repository whose own objects were never
    /// packed is done over several writes), so that memory and the writer's wait stay bounded.
    static let packedAtOnce = (objects: 20_000, bytes: 64 << 20)

    /// Packs the loose objects when there are more than `threshold`, then rolls small packs together so that each
    /// pack holds more than all smaller ones together (their number stays logarithmic). Does nothing while another
    /// process is packing (it holds `aee/pack.lock`).
    public func packLooseObjects(ifMoreThan threshold: Int) throws {
        let objects = commonDirectory + "objects/"
        guard hasMoreLooseObjects(than: threshold, in: objects) else { return }
        let lockDirectory = commonDirectory + "aee"
        guard mkdir(lockDirectory, 0o777) == 0 || errno == EEXIST else { throw GitError(systemCall: "mkdir", path: lockDirectory) }
        let lock = Glibc.open(lockDirectory + "/pack.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw GitError(systemCall: "open", path: lockDirectory + "/pack.lock") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { return }
        // Another process may have packed them between the look and the lock: look again, under it.
        guard hasMoreLooseObjects(than: threshold, in: objects) else { return }

        removeAbandonedTemporaryPacks(in: objects + "pack")
        let looseObjects = try ObjectDatabase { try check(git_odb_backend_loose(&$0, objects, -1, 0, 0, 0), "git_odb_backend_loose") }
        // Not compared with the threshold again: an estimate that said "more" is acted on, as `git gc --auto` acts
        // on its own, or every write after it would count them all again.
        let found = try looseObjects.ids()
        guard !found.isEmpty else { return }
        // Each object read once, into memory, for libgit2's pack builder, which reads every object several times.
        let copies = try ObjectDatabase { try check(git_mempack_new(&$0), "git_mempack_new") }
        var loose: [OID] = []
        var bytes = 0
        for oid in found.prefix(Self.packedAtOnce.objects) where bytes < Self.packedAtOnce.bytes {
            // A damaged one is left as it is, for `git fsck` to report: packing the rest goes on.
            guard let object = try? looseObjects.read(oid) else { continue }
            try copies.write(object)
            loose.append(oid)
            bytes += object.data.count
        }
        try writePack(of: loose, from: copies, into: objects + "pack")
        for oid in loose {
            let hex = oid.hex
            let path = objects + hex.prefix(2) + "/" + hex.dropFirst(2)
            guard unlink(path) == 0 || errno == ENOENT else { throw GitError(systemCall: "unlink", path: path) }
        }
        try rollSmallPacks(in: objects + "pack")
    }

    /// Whether `objects` holds more than `threshold` loose objects, estimated as `git gc --auto` does from a sample
    /// of the fan-out directories (a sixteenth of them: ids are uniform), since this runs after every write and a
    /// count of all 256 costs more than the write; below 256 objects a sample says too little, so they are counted.
    private func hasMoreLooseObjects(than threshold: Int, in objects: String) -> Bool {
        func count(_ fanOuts: Range<Int>) -> Int {
            fanOuts.reduce(0) { found, fanOut in
                found + countEntries(objects + String(fanOut: fanOut), nameLength: Int(GIT_OID_HEXSZ) - 2)
            }
        }
        let sample = count(0..<16)
        return threshold >= 256 ? sample * 16 > threshold : sample + count(16..<256) > threshold
    }

    /// Removes the temporary packs libgit2 leaves in `directory` when it is killed mid-write, once they are an hour
    /// old (younger ones may be another process's, being written).
    private func removeAbandonedTemporaryPacks(in directory: String) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        for name in directoryEntries(directory) where name.hasPrefix("pack_git2_") {
            var info = stat()
            if lstat(directory + "/" + name, &info) == 0, now.tv_sec - info.st_mtim.tv_sec > 3_600 { unlink(directory + "/" + name) }
        }
    }

    /// Packs larger than this are never rolled into others: rolling rewrites every object of the packs (libgit2
    /// searches deltas anew), about 45 µs each, and a write that crosses the threshold waits for it.
    static let largestRolledPack = 2 << 20

    /// Rolls the smallest packs into one while a pack is not larger than twice all smaller ones together; packs over
    /// `largestRolledPack`, packs git must keep apart (`.keep`, a partial clone's `.promisor`, a cruft pack's
    /// `.mtimes`) and repositories with a multi-pack index are left alone.
    private func rollSmallPacks(in directory: String) throws {
        let names = directoryEntries(directory)
        guard !names.contains("multi-pack-index") else { return }
        let present = Set(names)
        var packs: [(base: String, size: Int)] = []
        for name in names where name.hasPrefix("pack-") && name.hasSuffix(".idx") {
            let base = directory + "/" + name.dropLast(".idx".count)
            guard [".keep", ".promisor", ".mtimes"].allSatisfy({ !present.contains(base.dropFirst(directory.count + 1) + $0) }) else { continue }
            var info = stat()
            guard stat(base + ".pack", &info) == 0, info.st_size <= Self.largestRolledPack else { continue }
            packs.append((base, Int(info.st_size)))
        }
        packs.sort { $0.size < $1.size }
        var smaller = 0
        var last: Int?
        for (index, pack) in packs.enumerated() {
            if index > 0 && pack.size < 2 * smaller { last = index }
            smaller += pack.size
        }
        guard let last else { return }
        let rolled = packs[...last]
        let contents = try ObjectDatabase(rolled.map { pack in
            { try check(git_odb_backend_one_pack(&$0, pack.base + ".idx"), "git_odb_backend_one_pack") }
        })
        try writePack(of: try contents.ids(), from: contents, into: directory)
        // The index first: a reader that no longer finds it does not open the pack; one that has it open keeps it.
        for pack in rolled {
            for suffix in [".idx", ".pack", ".rev", ".bitmap"] where unlink(pack.base + suffix) != 0 && errno != ENOENT {
                throw GitError(systemCall: "unlink", path: pack.base + suffix)
            }
        }
    }

    /// Writes `objects`, read from `source`, as one pack in `directory`, syncs it to disk and checks that it holds
    /// every one of them.
    private func writePack(of objects: [OID], from source: ObjectDatabase, into directory: String) throws {
        var reader: OpaquePointer?
        try check(git_repository_wrap_odb(&reader, source.pointer), "git_repository_wrap_odb")
        defer { git_repository_free(reader) }
        var builder: OpaquePointer?
        try check(git_packbuilder_new(&builder, reader), "git_packbuilder_new")
        defer { git_packbuilder_free(builder) }
        git_packbuilder_set_threads(builder, 0)
        for oid in objects {
            var raw = oid.raw
            try check(git_packbuilder_insert(builder, &raw, nil), "git_packbuilder_insert")
        }
        try check(git_packbuilder_write(builder, directory, 0, nil, nil), "git_packbuilder_write")
        let base = directory + "/pack-" + String(cString: git_packbuilder_name(builder))
        for path in [base + ".pack", base + ".idx", directory] { try sync(path) }
        let written = Set(try ObjectDatabase { try check(git_odb_backend_one_pack(&$0, base + ".idx"), "git_odb_backend_one_pack") }.ids())
        guard objects.allSatisfy(written.contains) else {
            throw GitError(code: GIT_ERROR.rawValue, function: "git_packbuilder_write", message: "\(base).pack lacks objects it was given")
        }
    }

    /// fsync(2) of a file or directory, so that what was written survives a power cut before anything is deleted.
    private func sync(_ path: String) throws {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw GitError(systemCall: "open", path: path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw GitError(systemCall: "fsync", path: path) }
    }
}

/// An object database of its own, made of the backends given (loose objects, packs, memory); owns the `git_odb`.
private final class ObjectDatabase {
    let pointer: OpaquePointer

    convenience init(_ backend: @escaping (inout OpaquePointer?) throws -> Void) throws {
        try self.init([backend])
    }

    init(_ backends: [(inout OpaquePointer?) throws -> Void]) throws {
        var database: OpaquePointer?
        try check(git_odb_new(&database), "git_odb_new")
        pointer = database!
        for open in backends {
            var backend: OpaquePointer?
            try open(&backend)
            try check(git_odb_add_backend(pointer, backend, 1), "git_odb_add_backend")
        }
    }

    deinit { git_odb_free(pointer) }

    /// The ids of every object in it.
    func ids() throws -> [OID] {
        final class Found { var ids: [OID] = [] }
        let found = Found()
        try check(git_odb_foreach(pointer, { oid, payload in
            Unmanaged<Found>.fromOpaque(payload!).takeUnretainedValue().ids.append(OID(oid!.pointee))
            return 0
        }, Unmanaged.passUnretained(found).toOpaque()), "git_odb_foreach")
        return found.ids
    }

    func read(_ oid: OID) throws -> (type: git_object_t, data: [UInt8]) {
        var raw = oid.raw
        var object: OpaquePointer?
        try check(git_odb_read(&object, pointer, &raw), "git_odb_read")
        defer { git_odb_object_free(object) }
        return (git_odb_object_type(object), Array(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object))))
    }

    func write(_ object: (type: git_object_t, data: [UInt8])) throws {
        var oid = git_oid()
        try check(object.data.withUnsafeBytes { git_odb_write(&oid, pointer, $0.baseAddress, $0.count, object.type) }, "git_odb_write")
    }
}

private extension String {
    /// A fan-out directory's name: two lowercase hex digits.
    init(fanOut value: Int) {
        let digits = Array("0123456789abcdef".utf8)
        self.init(decoding: [digits[value >> 4], digits[value & 15]], as: UTF8.self)
    }
}
