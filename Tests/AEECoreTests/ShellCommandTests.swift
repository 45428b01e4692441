import Foundation
import Testing
@testable import AEECore

@Suite("the programs a gate's or an agent's command line starts")
struct ShellCommandTests {
    @Test("the first word of each simple command, past assignments and keywords; builtins and computed words left out",
          arguments: [
              ("ulimit -n 1024 && true", [String]()),
              (#"trap "rm -f x" EXIT; true"#, []),
              ("true&&true", []),
              ("true|cat", ["cat"]),
              ("~/bin/x --flag", ["~/bin/x"]),
              ("cmd;", ["cmd"]),
              ("CC=clang FOO='a b' make -j4 test", ["make"]),
              ("if [ -f x ]; then ./run.sh; else exit 1; fi", ["./run.sh"]),
              ("for f in a b; do lint \"$f\"; done", ["lint"]),
              (#"echo "a;b|c" && "$TOOL" run; `which x`"#, []),
              ("(cd sub && npm test) 2>&1 | tee log", ["npm", "tee"]),
          ])
    func programs(line: String, expected: [String]) {
        #expect(ShellCommand.programs(line) == expected)
    }

    @Test("the program a line starts with, unless a builtin, keyword or expansion comes first (which may set PATH)",
          arguments: [
              ("no-such-prog --check", "no-such-prog" as String?),
              ("CI=1 pytest -q && echo ok", "pytest"),
              ("if make check; then exit 0; fi", "make"),
              (". venv/bin/activate && pytest", nil),
              ("export PATH=$PWD/bin:$PATH; mytool", nil),
              ("PATH=\"$PWD/tools:$PATH\" mycheck", nil),
              ("retry() { \"$@\" || \"$@\"; }; retry true", nil),
              ("\"$TOOL\" run", nil),
              ("./check.sh", "./check.sh"),
          ])
    func leadingProgram(line: String, expected: String?) {
        #expect(ShellCommand.leadingProgram(line) == expected)
    }

    @Test("what is wrong is said precisely: not on PATH, does not exist, not executable; ~/ is the home directory")
    func problems() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("aee-shell-\(UUID().uuidString)").path + "/"
        try FileManager.default.createDirectory(atPath: root + "bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = FileManager.default.createFile(atPath: root + "test.sh", contents: Data("#!/bin/sh\n".utf8))
        _ = FileManager.default.createFile(atPath: root + "bin/tool", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        func problem(_ line: String) -> String? { ShellCommand.problem(in: line, root: root, path: "/usr/bin:/bin", home: root.dropLast() + "")?.problem }
        #expect(problem("./test.sh") == "'./test.sh' is not executable")
        #expect(problem("./missing.sh") == "'./missing.sh' does not exist")
        #expect(problem("no-such-tool-anywhere x") == "'no-such-tool-anywhere' is not on PATH")
        #expect(problem("~/bin/tool && cat x | sort") == nil)
        #expect(problem("ulimit -n 1024 && true") == nil)
    }
}
