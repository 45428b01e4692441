// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "git-aee",
    products: [
        .executable(name: "git-aee", targets: ["git-aee"]),
    ],
    targets: [
        // libgit2 from the system (Debian: libgit2-dev), found through pkg-config.
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // glibc extensions Swift's Glibc module does not export (pipe2, posix_spawn chdir and closefrom).
        // DWARF 4, so that valgrind 3.19 (Debian 12), which the benchmarks use to count instructions, can read it.
        .target(name: "CSystem", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        // The only code that touches libgit2's C API.
        .target(name: "Git", dependencies: ["CLibGit2", "CSystem"]),
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
