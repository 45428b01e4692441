/// One option a command accepts: `--name`, `--name <value>` or `--name=<value>`, perhaps with a short `-x`.
struct OptionSpec {
    let long: String
    var short: Character? = nil
    /// The placeholder for the option's value, or nil for a flag.
    var value: String? = nil
    let help: String
}

/// A command's name, summary, synopsis and option table: what the parser checks and what `-h` prints.
struct CommandSpec {
    let name: String
    let summary: String
    /// Everything after `git aee <name>` in the usage line.
    let synopsis: String
    var options: [OptionSpec] = []
    /// How many positional arguments the command takes.
    var positionals: ClosedRange<Int> = 0...0

    var usage: String {
        var lines = ["usage: git aee \(name)\(synopsis.isEmpty ? "" : " " + synopsis)", ""]
        let rows = options.map { option -> (String, String) in
            var left = option.short.map { "-\($0), " } ?? ""
            left += "--\(option.long)" + (option.value.map { " <\($0)>" } ?? "")
            return (left, option.help)
        } + [("-h", "show this help")]
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        for (left, help) in rows {
            lines.append("    " + left + String(repeating: " ", count: width - left.count) + help)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A command line that broke the command's rules; printed with the usage, exit 129.
enum UsageError: Error, CustomStringConvertible {
    case unknownOption(String)
    case missingValue(String)
    case unexpectedValue(String)
    case wrongArgumentCount(expected: ClosedRange<Int>, got: Int)
    case badValue(option: String, value: String, expected: String)
    case unknownCommand(String)
    case conflict(option: String, with: String, reason: String)
    case requires(option: String, other: String)
    /// A positional argument that cannot be what it stands for (an empty title), with why.
    case badArgument(String)
    case helpRequested

    var description: String {
        switch self {
        case .unknownOption(let option): "unknown option '\(option.quotedInMessage)'"
        case .missingValue(let option): "option '--\(option)' requires a value"
        case .unexpectedValue(let option): "option '--\(option)' takes no value"
        case .wrongArgumentCount(let expected, let got):
            got > expected.upperBound ? "too many arguments" : (expected.lowerBound == expected.upperBound ? "expected \(expected.lowerBound) argument\(expected.lowerBound == 1 ? "" : "s")" : "expected at least \(expected.lowerBound) argument(s)")
        case .badValue(let option, let value, let expected): "bad value '\(value.quotedInMessage)' for --\(option): expected \(expected)"
        case .unknownCommand(let name): "'\(name.quotedInMessage)' is not a git aee command"
        case .conflict(let option, let other, let reason): "--\(option) cannot be used with --\(other): \(reason)"
        case .requires(let option, let other): "--\(option) needs --\(other)"
        case .badArgument(let reason): reason
        case .helpRequested: "help"
        }
    }
}

/// What the parser found: flags set, values given (in order, repeatable), and positional arguments.
struct ParsedArguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var positionals: [String] = []

    func flag(_ long: String) -> Bool { values[long] != nil }
    func value(_ long: String) -> String? { values[long]?.last }
    func all(_ long: String) -> [String] { values[long] ?? [] }

    func int(_ long: String) throws -> Int? {
        guard let text = value(long) else { return nil }
        guard let number = Int(text) else { throw UsageError.badValue(option: long, value: text, expected: "a whole number") }
        return number
    }

    /// The value of `long` as a whole number within `range`: outside it is a usage error, as a malformed one is.
    func int(_ long: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let number = try int(long) else { return nil }
        guard range.contains(number) else {
            let expected = range.upperBound == .max ? "\(range.lowerBound) or more" : "a whole number from \(range.lowerBound) to \(range.upperBound)"
            throw UsageError.badValue(option: long, value: String(number), expected: expected)
        }
        return number
    }

    /// The value of `long` as a non-negative decimal number (`--max-cost 2.50`).
    func amount(_ long: String) throws -> Double? {
        guard let text = value(long) else { return nil }
        guard let number = Double(text), number.isFinite, number >= 0 else {
            throw UsageError.badValue(option: long, value: text, expected: "an amount, 0 or more")
        }
        return number
    }

    /// The value of `long` as one of `Choice`'s raw values.
    func choice<Choice: RawRepresentable & CaseIterable>(_ long: String, _: Choice.Type) throws -> Choice? where Choice.RawValue == String {
        guard let text = value(long) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            throw UsageError.badValue(option: long, value: text, expected: Choice.allCases.map(\.rawValue).joined(separator: " or "))
        }
        return choice
    }

    /// Parses `arguments` by `spec`'s option table; `-h`/`--help` anywhere asks for help, `--` ends the options.
    static func parse(_ arguments: [String], by spec: CommandSpec) throws -> ParsedArguments {
        var parsed = ParsedArguments()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "--" {
                parsed.positionals += remaining
                break
            }
            if argument == "-h" || argument == "--help" { throw UsageError.helpRequested }
            guard argument.hasPrefix("-"), argument != "-" else {
                parsed.positionals.append(argument)
                continue
            }
            let (option, inline) = try spec.option(for: argument)
            if option.value == nil {
                guard inline == nil else { throw UsageError.unexpectedValue(option.long) }
                parsed.values[option.long, default: []].append("")
            } else if let inline {
                parsed.values[option.long, default: []].append(inline)
            } else if let next = remaining.popFirst() {
                parsed.values[option.long, default: []].append(next)
            } else {
                throw UsageError.missingValue(option.long)
            }
        }
        guard spec.positionals.contains(parsed.positionals.count) else {
            throw UsageError.wrongArgumentCount(expected: spec.positionals, got: parsed.positionals.count)
        }
        return parsed
    }
}

extension CommandSpec {
    /// The option an argument names, and a value given inline (`--gate=tests`), if any.
    func option(for argument: String) throws -> (OptionSpec, String?) {
        if argument.hasPrefix("--") {
            let body = argument.dropFirst(2)
            let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
            guard let option = options.first(where: { $0.long == name }) else { throw UsageError.unknownOption(argument) }
            return (option, inline)
        }
        let letter = argument.dropFirst().first
        guard let option = options.first(where: { $0.short != nil && $0.short == letter }) else { throw UsageError.unknownOption(argument) }
        let rest = argument.dropFirst(2)
        return (option, rest.isEmpty ? nil : String(rest))
    }
}
