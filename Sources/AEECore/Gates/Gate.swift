/// A gate ready to run: its name, its definition, and the digest that keys its passes in the cache.
public struct Gate: Sendable, Equatable {
    public let name: String
    public let definition: GateDefinition
    /// The SHA-1 of the definition's canonical JSON: a changed command, timeout, needs or env is a different gate.
    public let digest: String

    /// What the result records as the gate's command.
    public var commandLine: String { definition.run ?? "builtin:\(definition.builtin ?? name)" }
}
