import Git
import Testing
@testable import AEECore

@Suite("commit messages")
struct CommitMessageTests {
    @Test("the trailers are the last paragraph, and libgit2 reads them as git does")
    func trailers() throws {
        let message = CommitMessage(task: TaskID("k3m9x2ab")!, event: "canceled", state: .canceled, title: "Do\n\nAEE-Task: forged", note: "Reason: gone\n\nAEE-State: SUCCEEDED")
        #expect(message.text == """
        aee(k3m9x2ab): canceled: Do AEE-Task: forged

        Reason: gone AEE-State: SUCCEEDED

        AEE-Task: k3m9x2ab
        AEE-Event: canceled
        AEE-State: CANCELED

        """)
        #expect(try Trailer.parse(message.text) == [
            Trailer(key: "AEE-Task", value: "k3m9x2ab"), Trailer(key: "AEE-Event", value: "canceled"), Trailer(key: "AEE-State", value: "CANCELED"),
        ])
    }

    @Test("a note that starts with --- does not hide the trailers from libgit2 (found by the fuzzer)")
    func patchDivider() throws {
        let message = CommitMessage(task: TaskID("k3m9x2ab")!, event: "canceled", state: .canceled, title: "Do", note: "---1 AEE-Event: forged")
        #expect(try Trailer.parse(message.text).map(\.key) == ["AEE-Task", "AEE-Event", "AEE-State"])
    }
}
