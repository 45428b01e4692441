/// The pre-push hook `git aee hooks install` writes; `hooks/pre-push` in the source tree is the same text (a test checks).
public enum HookScript {
    /// The line that tells our hook from anyone else's.
    static let marker = "# git-aee pre-push hook"
    /// Where a hook that was installed before ours is kept; ours runs it first.
    static let chainedName = "pre-push.aee-chained"

    public static let prePush = """
    #!/bin/sh
    \(marker): runs the gates on the commits being pushed (installed by 'git aee hooks install').
    # A pre-push hook that was here before is kept as \(chainedName) and runs first, on the same input.
    # 'git push --no-verify' skips both, as git does.
    if ! command -v git-aee >/dev/null 2>&1; then
    \techo "git aee: git-aee is not on PATH, so the pushed commits cannot be checked; the push is stopped" >&2
    \techo "hint: install git-aee, or push with --no-verify to skip the check" >&2
    \texit 1
    fi
    chained="$(dirname "$0")/\(chainedName)"
    if [ -x "$chained" ]; then
    \t# git's stdin can be read only once: keep it (the x keeps trailing newlines), hand it to both hooks.
    \tinput=$(cat; echo x)
    \tinput=${input%x}
    \tprintf '%s' "$input" | "$chained" "$@" || exit $?
    \t# Not `exec`: in a pipeline it would replace only a subshell, and the gates' verdict would be lost.
    \tprintf '%s' "$input" | git-aee hook pre-push "$@"
    \texit $?
    fi
    exec git-aee hook pre-push "$@"

    """

    /// Versions of the hook that earlier releases wrote, unedited: `install` replaces them with the current one.
    static let earlier = [chainedVerdictLost]

    /// The version that let a push through whatever the gates said when a chained hook was there (`exec` in a pipeline).
    static let chainedVerdictLost = prePush.replacing("""
    \t# Not `exec`: in a pipeline it would replace only a subshell, and the gates' verdict would be lost.
    \tprintf '%s' "$input" | git-aee hook pre-push "$@"
    \texit $?

    """, with: """
    \tprintf '%s' "$input" | exec git-aee hook pre-push "$@"

    """)
}
