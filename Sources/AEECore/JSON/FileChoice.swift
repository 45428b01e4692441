/// A closed set of words in a file git aee reads (`run_mode`, a record's `state`): a word outside it is refused by
/// naming the words it may be, as a bad `git config` value is, not with Foundation's words for the Swift type.
public protocol FileChoice: RawRepresentable<String>, CaseIterable, Decodable {}

extension FileChoice {
    public init(from decoder: any Decoder) throws {
        let word = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: word) else {
            let choices = Self.allCases.map(\.rawValue)
            let expected = choices.count <= 4 ? choices.joined(separator: " or ") : "one of " + choices.joined(separator: ", ")
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected \(expected), found '\(word.excerpt(60))'"))
        }
        self = value
    }
}
