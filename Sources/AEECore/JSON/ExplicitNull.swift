/// An optional that is written as `null` when absent, so every record has every key and a diff shows a value
/// appearing rather than a key. (Synthesized `Codable` drops nil optionals; a wrapper is not optional, so it is
/// always encoded, and the decoding overload below accepts a missing key as nil.)
@propertyWrapper
public struct ExplicitNull<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    func decode<Value>(_ type: ExplicitNull<Value>.Type, forKey key: Key) throws -> ExplicitNull<Value> {
        // The value itself, not the wrapper: a wrapper's own decoder costs Foundation a nested decoder per field.
        ExplicitNull(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
