import Foundation
import Testing

/// A repository whose `secret/` files are stored encrypted by a clean/smudge filter (openssl, as git-crypt does it).
func encryptedRepository(smudge: String = "openssl enc -d -aes-256-cbc -pbkdf2 -nosalt -pass pass:k -a") throws -> Scratch {
    let repo = try calculatorRepository(fixed: true)
    try repo.git("config", "filter.crypt.clean", "openssl enc -aes-256-cbc -pbkdf2 -nosalt -pass pass:k -a")
    try repo.git("config", "filter.crypt.smudge", smudge)
    try repo.git("config", "filter.crypt.required", "true")
    try repo.write(".gitattributes", "secret/** filter=crypt\n")
    try repo.write("secret/password.txt", "hunter2\n")
    try repo.git("add", "-A")
    try repo.git("commit", "-q", "-m", "an encrypted secret")
    return repo
}

@Suite("files as git shows them: clean and smudge filters")
struct FilterTests {
    @Test("with a clean/smudge filter the agent reads and writes plain text, and only the stored form reaches history",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl is not installed"))
    func cleanSmudge() throws {
        let repo = try encryptedRepository()
        #expect(!(try repo.git("cat-file", "-p", "HEAD:secret/password.txt")).contains("hunter2"), "stored encrypted")
        let agent = try repo.executor("reader", """
            cp secret/password.txt '\(repo.root.path)/seen'
            echo "correct horse" > secret/new.txt
            """)
        let run = try repo.aee("task", "Add a secret", "--agent", agent, "--merge", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        #expect(try repo.mark("seen") == "hunter2", "the agent saw the stored form")
        let stored = try repo.git("cat-file", "-p", "aee/\(id):secret/new.txt")
        #expect(!stored.contains("correct horse"), "plain text reached history: \(stored)")
        #expect(try repo.git("log", "--all", "-p").contains("correct horse") == false)
        // --merge checked the task's files out into the user's tree through the same filter.
        #expect(try String(contentsOf: repo.directory.appendingPathComponent("secret/new.txt"), encoding: .utf8) == "correct horse\n")
        #expect(try repo.git("status", "--porcelain") == "")
    }

    @Test("a required filter whose program is missing stops the task before anything is written (refs, config), naming the filter")
    func missingFilter() throws {
        let repo = try encryptedRepository(smudge: "no-such-decryptor -d")
        let refs = try repo.refs()
        let config = try String(contentsOf: repo.directory.appendingPathComponent(".git/config"), encoding: .utf8)
        let run = try repo.aee("task", "Anything", "--agent", try repo.executor("anything", "exit 0"))
        #expect(run.status == 128)
        #expect(run.stderr.hasPrefix("fatal: filter 'crypt' is required, but its command 'no-such-decryptor' was not found"), "\(run.stderr)")
        #expect(try repo.refs() == refs)
        #expect(try String(contentsOf: repo.directory.appendingPathComponent(".git/config"), encoding: .utf8) == config, "nor the agent's approval")
    }

    @Test("git-lfs: the agent sees the content, not the pointer; what it adds is an LFS object in the user's store; its prune deletes none of the user's",
          .enabled(if: TestTools.path(of: "git-lfs") != nil, "git-lfs is not installed (make test installs it)"))
    func gitLFS() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.git("lfs", "install", "--local")
        try repo.git("lfs", "track", "*.bin")
        try repo.write("data.bin", "the real data\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "large file")
        #expect(try repo.git("cat-file", "-p", "HEAD:data.bin").hasPrefix("version https://git-lfs.github.com/spec/v1"))
        // A large file only another branch has, which a prune by the workspace's refs would take for garbage.
        try repo.git("checkout", "-q", "-b", "other")
        try repo.write("other.bin", "only on the other branch\n")
        try repo.git("add", "other.bin")
        try repo.git("commit", "-q", "-m", "other")
        try repo.git("checkout", "-q", "main")
        let agent = try repo.executor("lfs-user", """
            cp data.bin '\(repo.root.path)/seen'
            echo "generated output" > out.bin
            git lfs prune >/dev/null 2>&1
            """)
        let run = try repo.aee("task", "Make output", "--agent", agent, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        #expect(try repo.mark("seen") == "the real data")
        let pointer = try repo.git("cat-file", "-p", "aee/\(id):out.bin")
        #expect(pointer.hasPrefix("version https://git-lfs.github.com/spec/v1"), "\(pointer)")
        // `git lfs prune` in the workspace removed its links, not the user's objects.
        try repo.git("checkout", "-q", "other", "--", "other.bin")
        #expect(try String(contentsOf: repo.directory.appendingPathComponent("other.bin"), encoding: .utf8) == "only on the other branch\n")
        try repo.git("rm", "-q", "--cached", "other.bin")
        // The new object is in the user's LFS store, so git checks it out with no server.
        try repo.git("checkout", "-q", "aee/\(id)", "--", "out.bin")
        #expect(try String(contentsOf: repo.directory.appendingPathComponent("out.bin"), encoding: .utf8) == "generated output\n")
    }

    @Test("config values with quotes and backslashes reach the workspace as git reads them: a smudge filter's command, a name")
    func quotedConfigValues() throws {
        let repo = try calculatorRepository(fixed: true)
        let smudge = ##"sh -c 'echo "# path: $1"; cat' -- %f"##
        try repo.git("config", "filter.tag.smudge", smudge)
        try repo.git("config", "filter.tag.clean", "sed '1{/^# path: /d}'")
        try repo.git("config", "user.name", #"Ann "the" Dev \ Tab"#)
        try repo.write(".gitattributes", "*.tag filter=tag\n")
        try repo.write("t.tag", "body\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "tagged")
        let marks = repo.root.path
        let agent = try repo.executor("reader", """
            git config --get filter.tag.smudge > '\(marks)/smudge'
            git config user.name > '\(marks)/name'
            cat t.tag > '\(marks)/seen'
            """)
        let run = try repo.aee("task", "Read", "--agent", agent)
        #expect(run.status == 0 && !run.stderr.contains("Syntax error"), "\(run.stderr)")
        #expect(try repo.mark("smudge") == smudge)
        #expect(try repo.mark("name") == #"Ann "the" Dev \ Tab"#)
        #expect(try repo.mark("seen") == "# path: t.tag\nbody", "the smudge filter ran as git runs it")
    }

    @Test("core.filemode=false: the agent's new executable is stored 100644, as git add -A stores it")
    func fileModeIgnored() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.git("config", "core.filemode", "false")
        let agent = try repo.executor("chmodder", "echo y > new.sh; chmod +x new.sh")
        let (id, _) = try repo.succeed(agent: agent)
        #expect(try repo.git("diff", "--raw", "main", "aee/\(id)", "--", "new.sh") == ":000000 100644 0000000 975fbec A\tnew.sh\n")
    }

    @Test("text and eol attributes apply as git applies them: CRLF in the checkout, LF in history")
    func lineEndings() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.write(".gitattributes", "*.txt text eol=crlf\n")
        try repo.write("notes.txt", "one\ntwo\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "notes")
        let agent = try repo.executor("crlf", "od -c notes.txt | head -1 > '\(repo.root.path)/seen'\nprintf 'three\\r\\nfour\\r\\n' > more.txt")
        let (id, _) = try repo.succeed(agent: agent)
        let seen = try repo.mark("seen")
        #expect(seen.contains("\\r  \\n"), "the agent saw LF where git checks out CRLF: \(seen)")
        #expect(try repo.git("cat-file", "-p", "aee/\(id):more.txt") == "three\nfour\n", "stored with LF, as git add stores it")
    }

    @Test("line endings set with no .gitattributes in the tree (core.autocrlf, a bare autocrlf line, info/attributes, the XDG attributes file, core.attributesFile) still apply in a new workspace",
          arguments: ["autocrlf", "bare autocrlf", "info", "xdg", "attributesFile"])
    func lineEndingsWithoutAttributesFile(source: String) throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.write("notes.txt", "one\ntwo\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "notes")
        switch source {
        case "autocrlf": try repo.git("config", "core.autocrlf", "true")
        // A key with no `=` is true to git (and to libgit2), though it reads as an empty string.
        case "bare autocrlf": try repo.write(".git/config", try String(contentsOf: repo.directory.appendingPathComponent(".git/config"), encoding: .utf8) + "[core]\n\tautocrlf\n")
        case "info": try repo.write(".git/info/attributes", "*.txt text eol=crlf\n")
        case "xdg": try repo.write("../home/git/attributes", "*.txt text eol=crlf\n")
        default:
            try repo.write("../attributes", "*.txt text eol=crlf\n")
            try repo.git("config", "core.attributesFile", repo.root.appendingPathComponent("attributes").path)
        }
        let agent = try repo.executor("crlf", "od -c notes.txt | head -1 > '\(repo.root.path)/seen'")
        // Whether the task then passes is the project's affair (with core.autocrlf its script has CRLF, as git makes it).
        _ = try repo.aee("task", "Fix it", "--agent", agent, "--max-iterations", "1")
        let seen = try repo.mark("seen")
        #expect(seen.contains("\\r  \\n"), "the agent saw LF where git checks out CRLF (\(source)): \(seen)")
    }

    @Test("a filter that streams (writes before it has read everything) on a file of megabytes does not stall")
    func streamingFilter() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.git("config", "filter.stream.clean", "cat")
        try repo.git("config", "filter.stream.smudge", "cat")
        try repo.git("config", "filter.stream.required", "true")
        try repo.write(".gitattributes", "*.dat filter=stream\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "attributes")
        let agent = try repo.executor("big-writer", "head -c 4000000 /dev/zero | tr '\\\\0' x > big.dat")
        let (id, _) = try repo.succeed(agent: agent)
        #expect(try repo.git("cat-file", "-s", "aee/\(id):big.dat") == "4000000\n")
    }

    @Test("an agent that turns the filter off in its workspace's config, and in git aee's copy of it, still has its file stored encrypted",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl is not installed"))
    func filterCannotBeTurnedOff() throws {
        let repo = try encryptedRepository()
        let agent = try repo.executor("unfilter", """
            gitdir=$(git rev-parse --absolute-git-dir)
            git config filter.crypt.clean cat
            git config --file "$gitdir/../baseline/config" filter.crypt.clean cat
            echo "correct horse" > secret/new.txt
            """)
        let (id, _) = try repo.succeed("Add a secret", agent: agent)
        #expect(!(try repo.git("cat-file", "-p", "aee/\(id):secret/new.txt")).contains("correct horse"), "plain text reached history")
        let undone = try repo.artifact(id, "iterations/1/work_item_task.json")["undone_git_changes"] as? [String]
        #expect(undone?.contains("config: filter.crypt.clean changed") == true, "\(undone ?? [])")
    }
}

