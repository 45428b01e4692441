import CLibGit2

/// A `Key: value` line from a commit message's trailer block.
public struct Trailer: Sendable, Equatable {
    public let key: String
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

extension Trailer {
    /// The trailers git would find in `message` (the last paragraph, when it is a trailer block).
    public static func parse(_ message: String) throws -> [Trailer] {
        _ = LibGit2.ready
        var array = git_message_trailer_array()
        try check(git_message_trailers(&array, message), "git_message_trailers")
        defer { git_message_trailer_array_free(&array) }
        return (0..<array.count).map { index in
            let trailer = array.trailers[index]
            return Trailer(key: String(cString: trailer.key), value: String(cString: trailer.value))
        }
    }
}
