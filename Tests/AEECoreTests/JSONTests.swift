import Testing
@testable import AEECore

@Suite("JSON in and out")
struct JSONTests {
    struct Sample: Encodable {
        let b = 1
        let a = "x{y},[z]: \"q\" \\"
        let empty: [String] = []
        let nothing: [String: Int] = [:]
        let list = [1, 2]
        let nested = ["k": ["v"]]
    }

    @Test("canonical JSON: sorted keys, two spaces, `key: value`, empty containers inline, final newline")
    func canonical() throws {
        let text = String(decoding: try CanonicalJSON.encode(Sample()), as: UTF8.self)
        #expect(text == """
        {
          "a": "x{y},[z]: \\"q\\" \\\\",
          "b": 1,
          "empty": [],
          "list": [
            1,
            2
          ],
          "nested": {
            "k": [
              "v"
            ]
          },
          "nothing": {}
        }

        """)
    }

    @Test("a record survives a round trip unchanged, nulls included")
    func recordRoundTrip() throws {
        let record = TaskRecord(id: TaskID("k3m9x2ab")!, title: "T\nwo lines", createdBy: "A <a@b>", at: Timestamp(seconds: 1_800_000_000),
                                baseCommit: nil, baseBranch: "refs/heads/main", metadata: TaskMetadata(gates: ["doctor"], maxIterations: 3, runMode: .autonomous))
        let bytes = try CanonicalJSON.encode(record)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"base_commit\": null"))
        #expect(try JSONInput.decode(TaskRecord.self, from: bytes, file: "task.json") == record)
    }

    @Test("decoding errors name the key and the reason")
    func errors() {
        func failure(_ json: String) -> String {
            do {
                _ = try JSONInput.decode(ProjectConfig.self, from: Array(json.utf8), file: "c.json")
                return "decoded"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure(#"{"version": 1, "gates": {"t": {"run": "x", "timeout_seconds": "9"}}}"#) == "c.json: 'gates.t.timeout_seconds': expected a whole number")
        #expect(failure(#"{"version": 1, "gates": {"t": {}}}"#).hasPrefix("c.json: 'gates.t': give either 'run'"))
        #expect(failure(#"{"version": 1, "gates": {"t": {"run": "x", "needs": ["u"]}}}"#) == "c.json: 'gates.t.needs': names the unknown gate 'u'")
        #expect(failure(#"{"version": 1, "gates": {"Bad Name": {"run": "x"}}}"#).hasPrefix("c.json: 'gates.Bad Name': a gate name"))
        #expect(failure(#"{"version": 2}"#).hasPrefix("c.json: 'version': this git-aee reads version 1"))
        #expect(failure(#"{"version": 1, "run_mode": "yolo"}"#) == "c.json: 'run_mode': expected autonomous or interactive, found 'yolo'")
        #expect(failure("[]") == "c.json: expected an object")
        #expect(failure("\u{FF}\u{FE}") == "c.json: not valid JSON: line 1, column 1: expected a value")
        #expect(failure(#"{"version": 1, "max_iterations": 3,"#) == "c.json: not valid JSON: line 1, column 36: the document ends where a key was expected")
        // Valid JSON whose number does not fit, which Foundation calls "not valid JSON" without a key.
        #expect(failure(#"{"version": 1, "stall_limit": 2, "gates": {"t": {"run": "x", "timeout_seconds": 1.5}}}"#)
                == "c.json: 'gates.t.timeout_seconds': expected a whole number, found 1.5")
        #expect(failure(#"{"version": 1, "max_iterations": 1e308}"#) == "c.json: 'max_iterations': 1e+308 is too large")
        #expect(failure(#"{"version": 1, "gates": {"t": {"run": "x", "timeout_seconds": 30}}, "max_iterations": 99999999999999999999999}"#)
                == "c.json: 'max_iterations': 1e+23 is too large")
    }

    @Test("timestamps print and parse as ISO 8601 UTC", arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (1_800_000_000, "2027-01-15T08:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"),
    ])
    func timestamps(seconds: Int64, text: String) {
        #expect(Timestamp(seconds: seconds).description == text)
        #expect(Timestamp(iso8601: text)?.seconds == seconds)
    }

    @Test("malformed timestamps are refused", arguments: ["2026-13-01T00:00:00Z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00", "yesterday"])
    func badTimestamps(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }
}
