import Git

/// Every gate a repository defines: the team's from `.aee/config.json`, the built-ins, and a person's
/// `git config aee.gate.<name>.run` (which adds a gate, or replaces the command of the team's gate of that name).
public struct GateCatalog: Sendable {
    public let gates: [String: Gate]
    public let defaultGates: [String]
    public let prePushGates: [String]
    /// The gates whose command comes from the user's git config.
    let personal: Set<String>

    init(config: ProjectConfig?, settings: Settings) throws {
        var definitions = config?.gates ?? [:]
        if definitions["doctor"] == nil { definitions["doctor"] = GateDefinition(builtin: "doctor", timeoutSeconds: 60) }
        let personal = try settings.personalGateNames()
        for name in personal {
            guard ProjectConfig.isValidGateName(name) else {
                throw ConfigError.invalidSetting(key: "aee.gate.\(name).run", value: name, expected: "a gate name of lowercase letters, digits, '-' and '_'")
            }
            let command = try settings.string("aee.gate.\(name).run") ?? ""
            var definition = definitions[name] ?? GateDefinition()
            definition.run = command
            definition.builtin = nil
            definitions[name] = definition
        }
        var gates: [String: Gate] = [:]
        for (name, definition) in definitions {
            gates[name] = Gate(name: name, definition: definition, digest: Self.digest(of: definition))
        }
        self.gates = gates
        self.personal = Set(personal)
        defaultGates = config?.defaultGates.nonEmpty ?? ["doctor"]
        let configured = try settings.string("aee.prePushGates")?.split(separator: " ").map(String.init)
        prePushGates = configured ?? config?.prePushGates ?? defaultGates
        if let cycle = findCycle() { throw ConfigError.gateCycle(cycle) }
    }

    /// The gates to run for `names` (the defaults when empty), with everything they need, dependencies first.
    public func plan(_ names: [String]) throws -> [Gate] {
        var ordered: [Gate] = []
        var seen = Set<String>()
        func visit(_ name: String) throws {
            guard !seen.contains(name) else { return }
            guard let gate = gates[name] else { throw ConfigError.unknownGate(name, known: gates.keys.sorted()) }
            seen.insert(name)
            for need in gate.definition.needs { try visit(need) }
            ordered.append(gate)
        }
        for name in names.isEmpty ? defaultGates : names { try visit(name) }
        return ordered
    }

    /// A `needs` loop, as the names around it (`a -> b -> a`), or nil.
    func findCycle() -> [String]? {
        var state: [String: Bool] = [:]  // false: on the current path; true: finished
        var path: [String] = []
        func visit(_ name: String) -> [String]? {
            if state[name] == true { return nil }
            if state[name] == false { return Array(path[path.firstIndex(of: name)!...]) + [name] }
            state[name] = false
            path.append(name)
            for need in gates[name]?.definition.needs ?? [] {
                if let cycle = visit(need) { return cycle }
            }
            path.removeLast()
            state[name] = true
            return nil
        }
        for name in gates.keys.sorted() {
            if let cycle = visit(name) { return cycle }
        }
        return nil
    }

    static func digest(of definition: GateDefinition) -> String {
        Repository.hash(of: (try? CanonicalJSON.encode(definition)) ?? []).hex
    }
}

extension Settings {
    /// Names of gates defined in git config as `aee.gate.<name>.run`.
    func personalGateNames() throws -> [String] {
        let fromFiles = try doing("read the gates in the git config") { try files.names(matching: #"^aee\.gate\..*\.run$"#) }
        let fromCommandLine = commandLine.entries(withPrefix: "aee.gate.").map(\.key).filter { $0.hasSuffix(".run") }
        return (fromFiles + fromCommandLine).map { String($0.dropFirst("aee.gate.".count).dropLast(".run".count)) }
    }
}
