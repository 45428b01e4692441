#if canImport(Glibc)
import Glibc
#endif

/// A shell command line as far as it can be read without running it: the programs it starts, so that one that
/// cannot run is reported before anything depends on it.
enum ShellCommand {
    /// Words the shell runs itself, and keywords before which a command starts.
    static let builtins: Set<String> = [".", ":", "[", "[[", "alias", "bg", "break", "builtin", "cd", "command", "continue", "declare",
                                        "echo", "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash", "jobs", "kill",
                                        "let", "local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "source", "test",
                                        "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait"]
    static let leadingKeywords: Set<String> = ["!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "time", "esac"]
    /// Keywords after which no command follows on the same simple command (`for x in a b`, `case $x in`).
    static let nonCommandKeywords: Set<String> = ["for", "case", "select", "in", "function"]

    /// The first word of each simple command (split at `;`, `&`, `|`, newlines and parentheses outside quotes), past
    /// variable assignments and keywords; builtins and words the shell computes (`$x`, `` `...` ``, quoted) left out.
    static func programs(_ line: String) -> [String] {
        segments(line).compactMap(program(of:))
    }

    /// The program the line's first simple command runs, as the user's PATH finds it; nil when that may be found
    /// otherwise: a builtin, a keyword or an expansion first (`. venv/bin/activate && pytest`), PATH set for it
    /// (`PATH=tools:$PATH check`), or a function the line defines.
    static func leadingProgram(_ line: String) -> String? {
        guard let first = segments(line).first, !line.contains("()"), !first.contains(where: { $0.hasPrefix("PATH=") }) else { return nil }
        return program(of: first)
    }

    /// The program a simple command (its words) runs, past keywords, assignments and redirections.
    private static func program(of segment: [String]) -> String? {
        var words = segment[...]
        while let first = words.first, leadingKeywords.contains(first) || isAssignment(first) || isRedirection(first) {
            words = words.dropFirst()
        }
        guard let first = words.first, !nonCommandKeywords.contains(first), !builtins.contains(first),
              let lead = first.first, !"$`\"'(".contains(lead) else { return nil }
        return first
    }

    /// What is wrong with running `program` from `root` with `path` as PATH (`~/` meaning `home`); nil when it can run.
    static func problem(with program: String, root: String, path: String, home: String?) -> String? {
        var program = program
        if program.hasPrefix("~/"), let home { program = home + program.dropFirst() }
        guard program.contains("/") else {
            return locate(program, path: path) != nil ? nil : "'\(program.quotedInMessage)' is not on PATH"
        }
        let full = program.hasPrefix("/") ? program : root + program
        guard exists(full) else { return "'\(program.quotedInMessage)' does not exist" }
        return isExecutableFile(full) ? nil : "'\(program.quotedInMessage)' is not executable"
    }

    /// Where the shell finds `program` (a bare name) on `path`; nil when it is not there.
    static func locate(_ program: String, path: String) -> String? {
        path.split(separator: ":").lazy.map { "\($0)/\(program)" }.first(where: isExecutableFile)
    }

    /// The executable `line` names when the shell would only run it as is: one word with no character the shell reads
    /// specially (git's test before it runs a command without a shell), not a builtin, found as `sh` would find it
    /// (relative to `directory`, or on `path`), and a program `exec` can start (`#!` or ELF); else nil.
    static func directProgram(_ line: String, directory: String, path: String) -> String? {
        guard !line.isEmpty, !line.utf8.contains(where: { directMetacharacters.contains($0) }), !builtins.contains(line),
              !leadingKeywords.contains(line), !nonCommandKeywords.contains(line) else { return nil }
        let full = line.contains("/") ? (line.hasPrefix("/") ? line : "\(directory)/\(line)") : locate(line, path: path)
        guard let full, isExecutableFile(full), let file = fopen(full, "rb") else { return nil }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 4)
        let count = fread(&magic, 1, 4, file)
        return (count >= 2 && magic[0] == 0x23 && magic[1] == 0x21) || (count == 4 && magic == [0x7F, 0x45, 0x4C, 0x46]) ? full : nil
    }

    private static let directMetacharacters = Set("|&;<>()$`\\\"' \t\n*?[#~=%{}!".utf8)

    /// The first program of `line` that cannot run, and why.
    static func problem(in line: String, root: String, path: String, home: String?) -> (program: String, problem: String)? {
        for program in programs(line) {
            if let problem = problem(with: program, root: root, path: path, home: home) { return (program, problem) }
        }
        return nil
    }

    /// The words of each simple command, quotes kept in the words.
    private static func segments(_ line: String) -> [[String]] {
        var segments: [[String]] = [[]]
        var word = ""
        var quote: Character?
        var escaped = false
        func endWord() {
            if !word.isEmpty { segments[segments.count - 1].append(word) }
            word = ""
        }
        for character in line {
            if escaped {
                word.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                word.append(character)
                escaped = true
            } else if let open = quote {
                word.append(character)
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" || character == "`" {
                word.append(character)
                quote = character
            } else if character == "&", word.last == ">" || word.last == "<" {
                // `2>&1`: a redirection, not the end of a command.
                word.append(character)
            } else if ";&|\n()".contains(character) {
                endWord()
                if !(segments.last?.isEmpty ?? true) { segments.append([]) }
            } else if character == " " || character == "\t" {
                endWord()
            } else {
                word.append(character)
            }
        }
        endWord()
        return segments.filter { !$0.isEmpty }
    }

    private static func isAssignment(_ word: String) -> Bool {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return false }
        return word[..<equals].allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) } && !(word.first?.isNumber ?? true)
    }

    private static func isRedirection(_ word: String) -> Bool {
        word.first == "<" || word.first == ">" || (word.first?.isNumber == true && word.dropFirst().first.map { "<>".contains($0) } == true)
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }
}
