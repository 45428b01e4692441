import Git

/// A command of `.aee/config.json` this user has not approved; `changed` when an earlier version of it was.
public struct UntrustedCommand: Equatable, Sendable, CustomStringConvertible {
    public let command: ProjectCommand
    public let changed: Bool

    /// `gate 'tests' (changed): make test`.
    public var description: String {
        "\(command.label) (\(changed ? "changed" : "new")): \(command.shown)"
    }
}

/// `.aee/config.json` arrives with `git pull` from other people, so its commands run only once the user has approved
/// them with `git aee trust` (recorded in the repository's own git config, keyed by each command's content hash), as
/// direnv and mise do. Commands from the user's own git config, `--agent` and built-in gates need no approval.
extension Workspace {
    static let approvalKey = "aee.trusted"

    /// Every command `.aee/config.json` holds, except an agent that `personalAgent` (`git config aee.agent` or
    /// `--agent`) replaces; naming the team's built-in agent does not replace the arguments the team adds to it.
    public func projectCommands(personalAgent: String? = nil) throws -> [ProjectCommand] {
        let config = try projectConfig()
        let catalog = try GateCatalog(config: config, settings: settings)
        let team = config?.agent
        let replaced = personalAgent.map { $0.trimmingWhitespace != team?.kind || (team?.args ?? []).isEmpty } ?? false
        let agent = replaced ? nil : team?.choice?.approvable.map { ProjectCommand.agent($0) }
        return [agent].compactMap { $0 } + catalog.projectCommands(of: catalog.gates.keys.sorted().map { catalog.gates[$0]! })
    }

    /// The commands of `commands` the user has not approved.
    public func untrusted(_ commands: [ProjectCommand]) throws -> [UntrustedCommand] {
        guard !commands.isEmpty else { return [] }
        // Read afresh, not from the snapshot taken at start: a worker outlives many `git aee trust`s.
        let approvals = try doing("read the approvals in the git config") { try repository.configuration().values(of: Self.approvalKey) }
        let fields = approvals.map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
        let digests = Set(fields.compactMap(\.first))
        let roles = Set(fields.compactMap { $0.count == 2 ? $0[1] : nil })
        return commands.filter { !digests.contains($0.digest) }.map { UntrustedCommand(command: $0, changed: roles.contains($0.role)) }
    }

    /// Refuses to go on while any of `commands` is unapproved, unless `--trust` or `AEE_TRUST` says to trust them all.
    func requireTrust(_ commands: [ProjectCommand]) throws {
        if try trustsEveryCommand() { return }
        let untrusted = try untrusted(commands)
        if !untrusted.isEmpty { throw ConfigError.untrustedCommands(untrusted, commit: configCommitDiffering?.hex) }
    }

    /// Whether this run trusts every command: `--trust` on the command line, or `AEE_TRUST` set to a true value.
    func trustsEveryCommand() throws -> Bool {
        if trustsAllCommands { return true }
        guard let value = environment["AEE_TRUST"], !value.isEmpty else { return false }
        guard let flag = Config.parseBool(value) else {
            throw ConfigError.invalidSetting(key: "AEE_TRUST", value: value, expected: "1 or 0 (true or false)")
        }
        return flag
    }

    /// Approves every command `.aee/config.json` holds now; returns the ones that were not approved before.
    public func trustProjectCommands() throws -> [UntrustedCommand] {
        return try doing("approve the commands of .aee/config.json") {
            guard try projectConfig() != nil else { throw ConfigError.noProjectConfig(commit: configCommit?.hex) }
            let new = try untrusted(projectCommands())
            for entry in new { try approve(entry.command) }
            return new
        }
    }

    /// Approves one command, unless it is approved already.
    func approve(_ command: ProjectCommand) throws {
        guard try !untrusted([command]).isEmpty else { return }
        try doing("record the approval in .git/config") { try repository.localConfiguration().add(Self.approvalKey, value: command.approval) }
    }

    /// Forgets every approval this repository's config records; returns how many there were.
    public func revokeTrust() throws -> Int {
        try doing("remove the approvals from .git/config") { try repository.localConfiguration().removeAll(Self.approvalKey) }
    }
}

extension GateCatalog {
    /// The commands among `gates` that come from `.aee/config.json`: a command `git config aee.gate.<name>.run`
    /// replaces is the user's own, but an environment the team's file sets for it still needs approval.
    func projectCommands(of gates: [Gate]) -> [ProjectCommand] {
        gates.compactMap { gate in
            guard let run = gate.definition.run, !(personal.contains(gate.name) && gate.definition.env.isEmpty) else { return nil }
            return .gate(gate.name, command: run, env: gate.definition.env)
        }
    }
}
