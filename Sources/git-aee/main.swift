import AEECore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

let environment = ProcessInfo.processInfo.environment
let terminal = Terminal(environment: environment)
let arguments = Array(CommandLine.arguments.dropFirst())
let status = dispatch(arguments, Context(terminal: terminal, environment: environment))
terminal.flush()
exit(status)

/// Runs the command named by the first argument, turning every error into git's output and exit codes.
func dispatch(_ arguments: [String], _ context: Context) -> Int32 {
    let terminal = context.terminal
    guard let name = arguments.first else {
        terminal.print(HelpCommand.overview)
        return 1
    }
    switch name {
    case "--version", "version":
        terminal.print("git-aee version \(version)")
        return 0
    case "-h", "--help":
        terminal.print(HelpCommand.overview)
        return 0
    default:
        break
    }
    guard let command = commands.first(where: { $0.spec.name == name }) else {
        // As git answers a typo: the most similar commands, or for an option before any command, that it is one.
        terminal.error(name.hasPrefix("-") ? UsageError.unknownOption(name).description : UsageError.unknownCommand(name).description)
        let similar = name.hasPrefix("-") ? [] : CommandSuggestion.similar(to: name, among: commands.map { $0.spec.name } + ["version"])
        if !similar.isEmpty {
            terminal.stderr("\nThe most similar command\(similar.count == 1 ? " is" : "s are")\n" + similar.map { "\t\($0)\n" }.joined())
        } else {
            terminal.hint("'git aee help' lists the commands")
        }
        return 129
    }
    do {
        let parsed = try ParsedArguments.parse(Array(arguments.dropFirst()), by: command.spec)
        context.trustsAllCommands = parsed.flag("trust")
        return try command.run(parsed, context)
    } catch UsageError.helpRequested {
        // git prints `-h` usage on stdout and exits 129.
        terminal.print(command.spec.usage, terminator: "")
        return 129
    } catch let error as UsageError {
        terminal.error(error.description)
        terminal.stderr(command.spec.usage)
        return 129
    } catch let error as any AEEError {
        terminal.fatal(error.description)
        if let hint = error.hint { terminal.hint(hint) }
        return error.exitStatus
    } catch {
        terminal.fatal(String(describing: error))
        return 128
    }
}
