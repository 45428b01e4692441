import CLibGit2
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The clean and smudge filters git runs and libgit2 does not (`filter.<name>.clean`, `.smudge`, `.process`, for
/// files whose attributes say `filter=<name>`: git-lfs, git-crypt): plugged into libgit2's filter registry, so that
/// every checkout writes files as git would and every staging stores what git would store. Without them an agent
/// would see ciphertext or LFS pointers, and what it wrote would be committed unfiltered.
enum ExternalFilters {
    private static let registered = Mutex<Set<String>>([])
    /// One long-running process per driver and working tree, started on first use, kept until git aee exits.
    private static let processes = Mutex<[String: FilterProcess]>([:])

    /// Registers a libgit2 filter for each driver `repository`'s configuration names (once per name per process).
    static func register(for repository: Repository) {
        guard let names = try? repository.configuration().names(matching: #"^filter\..+\.(clean|smudge|process)$"#) else { return }
        for key in names {
            let name = key.dropFirst("filter.".count).split(separator: ".").dropLast().joined(separator: ".")
            guard registered.withLock({ $0.insert(name).inserted }) else { continue }
            let filter = UnsafeMutablePointer<git_filter>.allocate(capacity: 1)
            git_filter_init(filter, UInt32(GIT_FILTER_VERSION))
            filter.pointee.attributes = UnsafePointer(strdup("filter=" + name))
            // The driver `check` reads from the file's repository is handed to `apply` (and freed by `cleanup`), so
            // each filtered file reads the configuration once.
            filter.pointee.check = { filter, payload, source, _ in ExternalFilters.check(filter, payload, source) }
            filter.pointee.apply = { _, payload, to, from, source in ExternalFilters.apply(payload, to, from, source) }
            filter.pointee.cleanup = { _, payload in
                if let payload { Unmanaged<Driver>.fromOpaque(payload).release() }
            }
            _ = git_filter_register("aee-filter-" + name, filter, GIT_FILTER_DRIVER_PRIORITY)
        }
    }

    /// A driver as configured for the repository a file belongs to.
    private final class Driver {
        let name: String
        let clean: String?
        let smudge: String?
        let process: String?
        let required: Bool
        let directory: String

        init?(_ filter: UnsafeMutablePointer<git_filter>?, _ source: OpaquePointer?) {
            guard let attributes = filter?.pointee.attributes, let repository = git_filter_source_repo(source) else { return nil }
            let name = String(String(cString: attributes).dropFirst("filter=".count))
            self.name = name
            var config: OpaquePointer?
            guard git_repository_config_snapshot(&config, repository) == 0 else { return nil }
            defer { git_config_free(config) }
            func value(_ key: String) -> String? {
                var text: UnsafePointer<CChar>?
                guard git_config_get_string(&text, config, "filter.\(name).\(key)") == 0, let text else { return nil }
                let value = String(cString: text)
                return value.isEmpty ? nil : value
            }
            clean = value("clean")
            smudge = value("smudge")
            process = value("process")
            var flag: Int32 = 0
            required = git_config_get_bool(&flag, config, "filter.\(name).required") == 0 && flag != 0
            directory = git_repository_workdir(repository).map { String(cString: $0) } ?? String(cString: git_repository_commondir(repository))
        }
    }

    private static func check(_ filter: UnsafeMutablePointer<git_filter>?, _ payload: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                              _ source: OpaquePointer?) -> Int32 {
        guard let driver = Driver(filter, source) else { return GIT_PASSTHROUGH.rawValue }
        let toObjects = git_filter_source_mode(source) == GIT_FILTER_TO_ODB
        if driver.process != nil || (toObjects ? driver.clean : driver.smudge) != nil {
            payload?.pointee = Unmanaged.passRetained(driver).toOpaque()
            return 0
        }
        guard driver.required else { return GIT_PASSTHROUGH.rawValue }
        git_error_set_str(Int32(GIT_ERROR_FILTER.rawValue), "filter '\(driver.name)' is required but has no \(toObjects ? "clean" : "smudge") command")
        return -1
    }

    private static func apply(_ payload: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ to: UnsafeMutablePointer<git_buf>?,
                              _ from: UnsafePointer<git_buf>?, _ source: OpaquePointer?) -> Int32 {
        guard let stored = payload?.pointee, let from else { return GIT_PASSTHROUGH.rawValue }
        let driver = Unmanaged<Driver>.fromOpaque(stored).takeUnretainedValue()
        let path = git_filter_source_path(source).map { String(cString: $0) } ?? ""
        let command = git_filter_source_mode(source) == GIT_FILTER_TO_ODB ? "clean" : "smudge"
        let input = from.pointee.ptr.map { Array(UnsafeRawBufferPointer(start: $0, count: from.pointee.size)) } ?? []
        var problem = "it failed"
        do {
            if let output = try run(driver, command, path: path, input: input) {
                return output.withUnsafeBufferPointer { git_buf_set(to, $0.baseAddress, $0.count) }
            }
        } catch let error as GitError {
            problem = error.message
        } catch {}
        guard driver.required else { return GIT_PASSTHROUGH.rawValue }
        git_error_set_str(Int32(GIT_ERROR_FILTER.rawValue), "filter '\(driver.name)' could not \(command) \(path): \(problem)")
        return -1
    }

    /// The filtered content, or nil when the driver could not produce it.
    private static func run(_ driver: Driver, _ command: String, path: String, input: [UInt8]) throws -> [UInt8]? {
        if let process = driver.process {
            let key = driver.name + "\u{0}" + driver.directory
            return try processes.withLock { running in
                if running[key] == nil { running[key] = try FilterProcess(command: process, directory: driver.directory) }
                guard let filter = running[key], filter.capabilities.contains(command) else { return nil }
                do {
                    return try filter.filter(command, path: path, content: input)
                } catch {
                    // The conversation is broken (the process died, or said something unreadable): the next file
                    // starts a new one.
                    running[key] = nil
                    throw error
                }
            }
        }
        guard let line = command == "clean" ? driver.clean : driver.smudge else { return nil }
        // git puts the file's path, quoted for the shell, where the command says %f.
        let quoted = "'" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
        let result = try FilterCommand(command: line.replacingPercentF(with: quoted), directory: driver.directory).run(input: input)
        return result.status == 0 ? result.output : nil
    }
}

extension String {
    fileprivate func replacingPercentF(with value: String) -> String {
        var out = ""
        var percent = false
        for character in self {
            if percent {
                out += character == "f" ? value : character == "%" ? "%" : "%" + String(character)
                percent = false
            } else if character == "%" {
                percent = true
            } else {
                out.append(character)
            }
        }
        return percent ? out + "%" : out
    }
}
