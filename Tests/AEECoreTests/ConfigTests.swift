import Testing
@testable import AEECore

@Suite("configuration from git's environment")
struct ConfigTests {
    @Test("GIT_CONFIG_PARAMETERS in git's current and older forms, with quotes")
    func parameters() {
        let config = CommandLineConfig(environment: [
            "GIT_CONFIG_PARAMETERS": #"'aee.maxIterations'='7' 'Color.UI'='always' 'aee.flag' 'user.name=O'\''Brien' 'aee.gate.Lint.run'='make lint'"#,
        ])
        #expect(config.value("aee.maxiterations") == .some("7"))
        #expect(config.value("color.ui") == .some("always"))
        #expect(config.value("aee.flag") == .some(nil))
        #expect(config.value("user.name") == .some("O'Brien"))
        #expect(config.value("aee.gate.Lint.run") == .some("make lint"))
        #expect(config.value("aee.gate.lint.run") == nil)
        #expect(config.value("aee.other") == nil)
    }

    @Test("GIT_CONFIG_COUNT pairs are read, and GIT_CONFIG_PARAMETERS wins over them")
    func countPairs() {
        let config = CommandLineConfig(environment: [
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "aee.runMode", "GIT_CONFIG_VALUE_0": "interactive",
            "GIT_CONFIG_KEY_1": "aee.maxIterations", "GIT_CONFIG_VALUE_1": "4",
            "GIT_CONFIG_PARAMETERS": "'aee.maxIterations'='5'",
        ])
        #expect(config.value("aee.runMode") == .some("interactive"))
        #expect(config.value("aee.maxIterations") == .some("5"))
    }

    @Test("a GIT_CONFIG_COUNT with keys missing stops at the first gap, as git refuses it (a huge one used to loop for minutes)")
    func bogusCount() {
        let config = CommandLineConfig(environment: [
            "GIT_CONFIG_COUNT": "99999999999", "GIT_CONFIG_KEY_0": "aee.runMode", "GIT_CONFIG_VALUE_0": "interactive",
        ])
        #expect(config.entries.count == 1)
    }

    @Test("git's date forms", arguments: [
        ("@1800000000 +0000", Int64(1_800_000_000), Int32(0)),
        ("1800000000 +0130", 1_800_000_000, 90),
        ("2027-01-15T08:00:00Z", 1_800_000_000, 0),
        ("2027-01-15T09:00:00+01:00", 1_800_000_000, 60),
        ("2027-01-15 03:00:00 -0500", 1_800_000_000, -300),
    ])
    func dates(text: String, seconds: Int64, offset: Int32) throws {
        let parsed = try #require(GitDate.parse(text))
        #expect(parsed.seconds == seconds)
        #expect(parsed.offsetMinutes == offset)
    }

    @Test("a bad date is refused", arguments: ["tomorrow", "1800000000 +1", "2027-01-15T08:00"])
    func badDates(text: String) {
        #expect(GitDate.parse(text) == nil)
    }

    @Test("identities lose the characters that would corrupt a commit header")
    func identityCleaning() {
        #expect(Identity.clean(" Eve <evil>\nAEE-Task: x ") == "Eve evilAEE-Task: x")
    }

    @Test("titles: trimmed, control characters refused, folded to one line for subjects")
    func titles() throws {
        #expect(try TaskTitle.validated("  Fix it \n") == "Fix it")
        #expect(throws: TaskError.emptyTitle) { try TaskTitle.validated(" \n\t ") }
        #expect(throws: TaskError.titleControlCharacter(0x07)) { try TaskTitle.validated("ding\u{07}") }
        #expect(TaskTitle.oneLine("a\n\nAEE-Task: x\tb") == "a AEE-Task: x b")
        #expect(TaskTitle.oneLine(String(repeating: "x", count: 100)).count == 72)
    }
}
