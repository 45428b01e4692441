/// An error of git aee's core: what went wrong, in words for the person at the terminal and for the records that
/// keep it. Each domain has an enum of its own; the CLI adds the exit status and the hint that says what to type next.
public protocol AEEError: Error, CustomStringConvertible {}
