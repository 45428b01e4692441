import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// A long-running filter (`filter.<name>.process`, as git-lfs's `git-lfs filter-process`), spoken to in git's
/// pkt-line protocol (gitattributes(5), "Long Running Filter Process"): one handshake, then one request per file,
/// for as long as git aee runs.
final class FilterProcess {
    private let child: FilterChild
    /// What the process said it can do: `clean`, `smudge`.
    private(set) var capabilities: Set<String> = []

    static let maximumPacket = 65_516

    init(command: String, directory: String) throws {
        child = try FilterChild(command: command, directory: directory)
        try writePackets(["git-filter-client\n", "version=2\n"].map { Array($0.utf8) })
        let welcome = try readTextPackets()
        guard welcome.first == "git-filter-server", welcome.contains("version=2") else { throw failure("did not answer git-filter-server version 2") }
        try writePackets(["capability=clean\n", "capability=smudge\n"].map { Array($0.utf8) })
        capabilities = Set(try readTextPackets().compactMap { $0.hasPrefix("capability=") ? String($0.dropFirst(11)) : nil })
    }

    deinit {
        child.close()
        _ = child.wait()
    }

    /// Filters one file's content: `command` is `clean` or `smudge`. Nil when the process says it cannot.
    func filter(_ command: String, path: String, content: [UInt8]) throws -> [UInt8]? {
        try writePackets(["command=\(command)\n", "pathname=\(path)\n"].map { Array($0.utf8) })
        var packets: [[UInt8]] = []
        var offset = 0
        while offset < content.count {
            packets.append(Array(content[offset..<min(offset + Self.maximumPacket, content.count)]))
            offset += Self.maximumPacket
        }
        try writePackets(packets)
        guard try status(of: try readTextPackets()) == "success" else { return nil }
        var output: [UInt8] = []
        while let packet = try readPacket() { output += packet }
        // A status may follow the content (empty: the one before stands).
        let final = try readTextPackets()
        if !final.isEmpty, try status(of: final) != "success" { return nil }
        return output
    }

    private func status(of lines: [String]) throws -> String {
        lines.last { $0.hasPrefix("status=") }.map { String($0.dropFirst(7)) } ?? "success"
    }

    /// Writes each packet, then a flush packet.
    private func writePackets(_ packets: [[UInt8]]) throws {
        var bytes: [UInt8] = []
        for packet in packets {
            let length = String(packet.count + 4, radix: 16)
            bytes += Array((String(repeating: "0", count: 4 - length.count) + length).utf8) + packet
        }
        bytes += Array("0000".utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(child.input, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("stopped reading") }
            offset += count
        }
    }

    /// The packets up to the next flush, as lines without their newline.
    private func readTextPackets() throws -> [String] {
        var lines: [String] = []
        while let packet = try readPacket() {
            var line = String(decoding: packet, as: UTF8.self)
            if line.hasSuffix("\n") { line.removeLast() }
            lines.append(line)
        }
        return lines
    }

    /// One packet's payload, or nil for a flush packet.
    private func readPacket() throws -> [UInt8]? {
        let header = try readExactly(4)
        guard let length = Int(String(decoding: header, as: UTF8.self), radix: 16) else { throw failure("sent a malformed packet") }
        if length == 0 { return nil }
        guard length >= 4 else { throw failure("sent a malformed packet") }
        return try readExactly(length - 4)
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(child.output, $0.baseAddress! + offset, count - offset) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { throw failure("ended") }
            offset += read
        }
        return bytes
    }

    private func failure(_ what: String) -> GitError {
        GitError(code: GIT_ERROR.rawValue, function: "filter process", message: "the long-running filter \(what)")
    }
}
