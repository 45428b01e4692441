import Foundation
import Testing

/// The scripted model endpoint of `Tests/ModelServer`, started on 127.0.0.1 for one test and stopped with it (it
/// also stops by itself after ten minutes). The real agent CLIs are pointed at it.
final class ModelServer {
    let port: Int
    private let log: URL
    private let process: Process

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ModelServer/server.py").path

    init(in scratch: Scratch, refusingKeys: Bool = false) throws {
        let directory = scratch.root.appendingPathComponent("model-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent("port")
        log = directory.appendingPathComponent("requests.jsonl")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--port-file", portFile.path, "--log", log.path, "--lifetime", "600"] + (refusingKeys ? ["--refuse-key"] : [])
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: portFile.path), Date() < deadline, process.isRunning { usleep(20_000) }
        port = try #require(Int((try? String(contentsOf: portFile, encoding: .utf8)) ?? ""), "the model server did not start")
    }

    deinit {
        // SIGKILL: the test process blocks SIGTERM in the thread that spawns, and the server inherits the mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request the model was sent, oldest first: its path and JSON body.
    var requests: [(path: String, body: String)] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let path = entry["path"] as? String,
                  let body = entry["body"], let bytes = try? JSONSerialization.data(withJSONObject: body) else { return nil }
            return (path, String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// A port on 127.0.0.1 nothing listens on: bound, then closed.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
