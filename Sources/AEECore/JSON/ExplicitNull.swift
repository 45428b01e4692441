/// An optional that is written as `null` when absent, so every record has every key and a diff shows a value
/// appearing rather than a key. (Synthesized `Codable` drops nil optionals; a wrapper is not optional, so it is
/// always encoded, and the decoding overload below accepts a missing key as nil.)
///
/// `Value` is constrained only where a conformance needs it: the runtime instantiates a constrained generic type by
/// looking each conformance up in every conformance record of the program, three lookups per field type, once per
/// process but at every command's start.
@propertyWrapper
public struct ExplicitNull<Value> {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
}

extension ExplicitNull: Sendable where Value: Sendable {}
extension ExplicitNull: Equatable where Value: Equatable {}

extension ExplicitNull: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }
}

extension ExplicitNull: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    func decode<Value: Decodable>(_ type: ExplicitNull<Value>.Type, forKey key: Key) throws -> ExplicitNull<Value> {
        // The value itself, not the wrapper: a wrapper's own decoder costs Foundation a nested decoder per field.
        ExplicitNull(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
