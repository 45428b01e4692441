// swift-tools-version:6.0
import PackageDescription

// libgit2 and what it uses, linked into the program from Debian's static libraries (libgit2-dev depends on their
// packages). Loaded dynamically, they cost every command a few milliseconds before main, more than `git status`
// takes: the loader binds some 4,300 of their symbols eagerly, most of them OpenSSL's (libssh2's). libgit2 goes in
// whole, so that what it brings in does not hang on where SwiftPM puts these flags among our objects. mbedTLS's
// certificate parsers and random generator, and libssh2's start-up, are wrapped, for Sources/CSystem/certificates.c
// and crypto_startup.c to put off until a remote is reached what libgit2 sets up at every start. GSSAPI, which
// Debian ships only shared, is left out: libgit2 never reaches it from git aee (Sources/CSystem/gssapi.c).
let libgit2: [LinkerSetting] = [.unsafeFlags([
    "--whole-archive", "-l:libgit2.a", "--no-whole-archive",
    "--wrap=mbedtls_x509_crt_parse_file", "--wrap=mbedtls_x509_crt_parse_path",
    "--wrap=mbedtls_entropy_init", "--wrap=mbedtls_ctr_drbg_seed", "--wrap=mbedtls_ctr_drbg_random", "--wrap=libssh2_init",
    "-Bstatic", "-lssh2", "-lhttp_parser", "-lpcre2-8", "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-lcrypto", "-lz",
    "-Bdynamic",
].flatMap { ["-Xlinker", $0] })]

let package = Package(
    name: "git-aee",
    products: [
        .executable(name: "git-aee", targets: ["git-aee"]),
    ],
    targets: [
        // libgit2 from the system (Debian: libgit2-dev), linked in (see `libgit2` below).
        .systemLibrary(name: "CLibGit2", providers: [.apt(["libgit2-dev"])]),
        // glibc extensions Swift's Glibc module does not export (pipe2, posix_spawn chdir and closefrom).
        // DWARF 4, so that valgrind 3.19 (Debian 12), which the benchmarks use to count instructions, can read it.
        .target(name: "CSystem", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        // The only code that touches libgit2's C API.
        .target(name: "Git", dependencies: ["CLibGit2", "CSystem"], linkerSettings: libgit2),
        // Tasks, their state machine, the store in git, configuration.
        .target(name: "AEECore", dependencies: ["Git", "CSystem"]),
        // Parsing and printing only.
        .executableTarget(name: "git-aee", dependencies: ["AEECore"]),
        // Hostile input for the fuzz tests of both test targets.
        .target(name: "Fuzzing", path: "Tests/Fuzzing"),
        .testTarget(name: "GitTests", dependencies: ["Git"]),
        .testTarget(name: "AEECoreTests", dependencies: ["AEECore", "Git", "Fuzzing"]),
        .testTarget(name: "IntegrationTests", dependencies: ["git-aee", "Fuzzing"]),
    ]
)
