import CSystem
import Testing
@testable import Git

@Suite("CA certificates")
struct CertificateTests {
    @Test("libgit2's start-up leaves the system's CA bundle unread; it is loaded, whole, before a remote is reached")
    func deferredUntilARemote() throws {
        _ = try TemporaryRepository()
        // A libgit2 built with OpenSSL never asks mbedTLS to parse a bundle: nothing is deferred, nothing to load.
        guard let file = aee_deferred_certificates() else { return }
        #expect(String(cString: file).hasPrefix("/"))
        #expect(LibGit2.certificateProblem == nil)
    }
}
