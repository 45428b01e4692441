#if canImport(Glibc)
import Glibc
#endif

/// All of stdin, as text; empty when stdin is closed or a terminal.
enum StandardInput {
    static func readAll() -> String {
        guard isatty(STDIN_FILENO) == 0 else { return "" }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
