import Foundation
import Testing
@testable import AEECore

@Suite("secrets are taken out of what is committed")
struct RedactorTests {
    let redactor = Redactor(environment: ["MY_API_KEY": "value-of-the-key-123", "DEPLOY_TOKEN": "tok-987654321", "PATH": "/usr/bin:/bin",
                                          "SHORT_SECRET": "abc", "HOME": "/root"])

    @Test("values of environment variables whose names say secret, and none shorter than 8 characters")
    func environmentValues() {
        #expect(redactor.redact("key=value-of-the-key-123 and tok-987654321 in /usr/bin:/bin") ==
                "key=[redacted: environment] and [redacted: environment] in /usr/bin:/bin")
        #expect(redactor.redact("abc stays") == "abc stays")
        #expect(Redactor.namesSecret("ANTHROPIC_API_KEY") && Redactor.namesSecret("GITHUB_TOKEN") && Redactor.namesSecret("db_password"))
        #expect(!Redactor.namesSecret("KEYBOARD") && !Redactor.namesSecret("PATH"))
    }

    @Test("beyond ASCII, as String compares and folds: a value written decomposed, a name or a marker with ß, ſ or the Kelvin sign")
    func beyondASCII() {
        let composed = Redactor(environment: ["MY_SECRET": "caf\u{E9}-secret-value"])
        #expect(composed.redact("got cafe\u{301}-secret-value back") == "got [redacted: environment] back")
        #expect(composed.firstSecret(in: "cafe\u{301}-secret-value") == "environment")
        #expect(Redactor.namesSecret("PA\u{DF}WD") && Redactor.namesSecret("API_\u{17F}ECRET"))
        let kelvin = "aws_secret_access_\u{212A}ey=" + String(repeating: "f", count: 40)
        #expect(redactor.redact("x \(kelvin)") == "x [redacted: aws secret]")
    }

    @Test("well-known credential shapes", arguments: [
        ("sk-ant-api03-" + String(repeating: "a", count: 40), "anthropic key"),
        ("sk-proj-" + String(repeating: "B", count: 40), "openai key"),
        ("ghp_" + String(repeating: "c", count: 36), "github token"),
        ("github_pat_" + String(repeating: "d", count: 40), "github token"),
        ("AKIA" + String(repeating: "E", count: 16), "aws key"),
        ("aws_secret_access_key = " + String(repeating: "f", count: 40), "aws secret"),
        ("xoxb-1234567890-abcdefghij", "slack token"),
        ("AIza" + String(repeating: "g", count: 35), "google key"),
    ])
    func shapes(secret: String, kind: String) {
        #expect(redactor.redact("before \(secret) after") == "before [redacted: \(kind)] after")
    }

    @Test("words that merely contain a key's prefix are not keys; firstSecret names what redact would replace")
    func notKeys() {
        for text in ["desk-navigation-container", "task-management-service-v2", "the-ask-for-more-context-here"] {
            #expect(redactor.redact(text) == text)
            #expect(redactor.firstSecret(in: text) == nil, "\(text)")
        }
        #expect(redactor.firstSecret(in: "x = value-of-the-key-123") == "environment")
        #expect(redactor.firstSecret(in: "key: AKIA" + String(repeating: "E", count: 16)) == "aws key")
        #expect(redactor.firstSecret(in: "use sk-proj-" + String(repeating: "B", count: 40)) == "openai key")
    }

    @Test("a PEM private key in JSON is cut out whole, or to the end of its string when its end was cut off, and the JSON stays valid")
    func privateKeyInJSON() throws {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbCd\n-----END RSA PRIVATE KEY-----\n"
        for tail in [key + "done", String(key.prefix(40))] {
            let json = try JSONSerialization.data(withJSONObject: ["output_tail": "log: " + tail, "other": "kept"], options: [.sortedKeys])
            let redacted = redactor.redact(json: Array(json))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(redacted)) as? [String: String])
            #expect(object["output_tail"]?.hasPrefix("log: [redacted: private key]") == true)
            #expect(object["output_tail"]?.contains("MIIEow") == false)
            #expect(object["other"] == "kept")
        }
    }
}

@Suite("usage as the agents reported it")
struct UsageTests {
    @Test("costs add up exactly, and what no agent reported stays unknown")
    func sums() throws {
        let reported = [Usage(reportedCost: 0.1, turns: 1), Usage(reportedCost: 0.2, turns: nil), .unknown, Usage(reportedCost: 0.006, turns: 2)]
        let total = reported.reduce(Usage.unknown, +)
        #expect(total.costUSD == Decimal(string: "0.306"))
        #expect(total.turns == 3)
        #expect(String(decoding: try CanonicalJSON.compact(total), as: UTF8.self) == #"{"cost_usd":0.306,"turns":3}"#)
        #expect(String(decoding: try CanonicalJSON.compact(Usage.unknown + .unknown), as: UTF8.self) == #"{"cost_usd":null,"turns":null}"#)
        #expect(Usage(reportedCost: -1, turns: -2) == .unknown)
    }
}
