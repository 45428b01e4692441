#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The config `git aee init` writes: the `doctor`, `smoke` and `tests` gates, with commands guessed from the project's files.
public enum StarterConfig {
    /// A build command and a test command for a kind of project, known by a file at its root.
    struct Toolchain: Sendable {
        let marker: String
        let smoke: String
        let tests: String
        var applies: @Sendable (String) -> Bool = { _ in true }
    }

    static let toolchains: [Toolchain] = [
        Toolchain(marker: "Package.swift", smoke: "swift build", tests: "swift test"),
        Toolchain(marker: "Cargo.toml", smoke: "cargo build", tests: "cargo test"),
        Toolchain(marker: "go.mod", smoke: "go build ./...", tests: "go test ./..."),
        Toolchain(marker: "package.json", smoke: "npm run --if-present build", tests: "npm test", applies: { $0.contains("\"test\"") }),
        Toolchain(marker: "pyproject.toml", smoke: "python3 -m compileall -q .", tests: "python3 -m pytest -q"),
        Toolchain(marker: "pytest.ini", smoke: "python3 -m compileall -q .", tests: "python3 -m pytest -q"),
        Toolchain(marker: "Makefile", smoke: "make", tests: "make test", applies: { $0.contains("\ntest:") || $0.hasPrefix("test:") }),
    ]

    /// What to write when nothing is recognised: a gate that fails and says what to do.
    static let unknownTests = "echo 'git aee: set the tests gate command in .aee/config.json' >&2; exit 1"

    /// The starter config for the project rooted at `workingDirectory`, and the marker file the commands were guessed from.
    public static func guess(workingDirectory: String) -> (config: ProjectConfig, guessedFrom: String?) {
        let found = toolchains.first { toolchain in
            guard let data = FileManager.default.contents(atPath: workingDirectory + toolchain.marker) else { return false }
            return toolchain.applies(String(decoding: data, as: UTF8.self))
        }
        let gates: [String: GateDefinition] = [
            "doctor": GateDefinition(builtin: "doctor", timeoutSeconds: 60),
            "smoke": GateDefinition(run: found?.smoke ?? "true", timeoutSeconds: 600, needs: ["doctor"]),
            "tests": GateDefinition(run: found?.tests ?? unknownTests, timeoutSeconds: 1800, needs: ["smoke"]),
        ]
        let config = ProjectConfig(
            agent: .init(command: nil, timeoutSeconds: 1800),
            gates: gates,
            defaultGates: ["doctor", "smoke", "tests"])
        return (config, found?.marker)
    }
}
