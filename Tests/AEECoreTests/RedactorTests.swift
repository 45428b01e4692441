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

    @Test("an AWS secret key in the quotes a shell's export or JSON puts around it, as printed and inside the JSON that keeps the output")
    func quotedAWSSecret() throws {
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        for printed in ["export AWS_SECRET_ACCESS_KEY=\"\(key)\"", "{\"aws_secret_access_key\": \"\(key)\"}", "aws_secret_access_key = '\(key)'"] {
            #expect(!redactor.redact(printed).contains("EXAMPLEKEY"), "\(printed)")
            let kept = redactor.redact(json: try CanonicalJSON.encode(["output_tail": printed]))
            #expect(!String(decoding: kept, as: UTF8.self).contains("EXAMPLEKEY"), "\(printed)")
            let twice = redactor.redact(json: try CanonicalJSON.encode(["output_tail": String(decoding: try CanonicalJSON.encode(["said": printed]), as: UTF8.self)]))
            #expect(!String(decoding: twice, as: UTF8.self).contains("EXAMPLEKEY"), "\(printed)")
        }
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

    @Test("a value with a quote, a backslash or several lines is found inside JSON's escapes too, and from a later line of it on")
    func escapedValues() throws {
        let multiline = Redactor(environment: ["SMTP_PASSWORD": #"Tr0ub4dor"and\3xtra"#, "DEPLOY_KEY": "line1-AAAAAAAAAA\nline2-BBBBBBBBBB\nline3-CCCCCCCCCC"])
        let tails = [#"pw is Tr0ub4dor"and\3xtra"#, "key:\nline1-AAAAAAAAAA\nline2-BBBBBBBBBB\nline3-CCCCCCCCCC\n", "line2-BBBBBBBBBB\nline3-CCCCCCCCCC\ndone"]
        for tail in tails {
            let redacted = multiline.redact(json: try CanonicalJSON.encode(["output_tail": tail]))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(redacted)) as? [String: String])
            #expect(object["output_tail"]?.contains("[redacted: environment]") == true, "\(object)")
            for fragment in ["Tr0ub4dor", "AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC"] { #expect(object["output_tail"]?.contains(fragment) == false, "\(object)") }
        }
    }

    @Test("the end of a private key whose start a cut tail lost is cut out, in text and in JSON")
    func privateKeyEnd() throws {
        let end = "MIIEowIBAAKCAQEA\nAbCdEf+/0123==\n-----END PRIVATE KEY-----\nafter"
        #expect(redactor.redact(end) == "[redacted: private key]\nafter")
        let redacted = redactor.redact(json: try CanonicalJSON.encode(["output_tail": end, "other": "kept"]))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(redacted)) as? [String: String])
        #expect(object == ["output_tail": "[redacted: private key]\nafter", "other": "kept"])
        // Words before it are no part of it; nor is JSON's next string.
        #expect(redactor.redact("the key was\n" + end) == "the key was\n[redacted: private key]\nafter")
        let keyed = redactor.redact(json: try CanonicalJSON.encode(["a": "the key was\n" + end, "b": "AAAA"]))
        #expect(try JSONSerialization.jsonObject(with: Data(keyed)) as? [String: String] == ["a": "the key was\n[redacted: private key]\nafter", "b": "AAAA"])
    }

    @Test("what a cut left of a key is found with the lines' indent or prefix, from its end or its start; a start line alone hides nothing")
    func keyLinesWithPrefixes() {
        let body = ["MIIEowIBAAKCAQEA", "AbCdEf+/0123=="]
        let yaml = "tls.key: |\n" + body.map { "    " + $0 + "\n" }.joined() + "    -----END RSA PRIVATE KEY-----\nnext: 1\n"
        #expect(redactor.redact(yaml) == "tls.key: |\n    [redacted: private key]\nnext: 1\n")
        let logged = body.map { "stderr| " + $0 + "\n" }.joined() + "stderr| -----END PRIVATE KEY-----\nstdout| ok\n"
        #expect(redactor.redact(logged) == "stderr| [redacted: private key]\nstdout| ok\n")
        let started = "log: -----BEGIN PRIVATE KEY-----\n" + body.joined(separator: "\n")
        #expect(redactor.redact(started) == "log: [redacted: private key]")
        let named = "scan: key.pem:1: -----BEGIN RSA PRIVATE KEY----- (fixture)\ntest results: 12 passed\n"
        #expect(redactor.redact(named) == named)
    }

    @Test("a secret an agent printed as JSON is found in the artifact's JSON too, where it is escaped twice")
    func twiceEscaped() throws {
        let keyed = Redactor(environment: ["DB_PASSWORD": #"Pq"uo\te\\Bs"lash-Zk8"#, "SERVICE_TOKEN": "MlineOneQwErTy12\nMlineTwoAsDfGh34"])
        let printed = String(decoding: try JSONSerialization.data(withJSONObject: ["password": #"Pq"uo\te\\Bs"lash-Zk8"#, "svc": "MlineOneQwErTy12\nMlineTwoAsDfGh34"]), as: UTF8.self)
        let redacted = String(decoding: keyed.redact(json: try CanonicalJSON.encode(["output_tail": printed])), as: UTF8.self)
        for fragment in ["Pq", "Zk8", "MlineOne", "MlineTwo"] { #expect(!redacted.contains(fragment), "\(redacted)") }
    }

    @Test("a key's end is found in time linear in the text: 256 KiB of base64 with and without an end line")
    func privateKeyEndIsLinear() {
        let run = String(repeating: "QUJD", count: 1 << 16)
        let started = ContinuousClock.now
        #expect(redactor.redact("x y\n\(run)\n-----END PRIVATE KEY-----\n") == "x y\n[redacted: private key]\n")
        #expect(redactor.redact(run + " PRIVATE KEY----- ") == run + " PRIVATE KEY----- ")
        #expect(ContinuousClock.now - started < .seconds(5), "quadratic")
    }

    @Test("a secret value that is a PEM key does not make every key's end line a secret: other output stays")
    func pemValue() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\nAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
        let other = "-----BEGIN PRIVATE KEY-----\nZZZZZZZZZZZZZZZZZZZZ\n-----END PRIVATE KEY-----\n"
        let keyed = Redactor(environment: ["DEPLOY_KEY": key])
        #expect(keyed.redact("fixture:\n\(other)test results: 12 passed\n") == "fixture:\n[redacted: private key]\ntest results: 12 passed\n")
        #expect(keyed.redact("cut: AASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n").contains("AASCBK") == false)
        let crlf = Redactor(environment: ["TWO_LINE_TOKEN": "first-part-1111\r\nsecond-part-2222"])
        #expect(crlf.redact("second-part-2222 done") == "[redacted: environment] done")
    }
}

@Suite("output cut to its tail")
struct OutputTailTests {
    @Test("a cut starts at the next line (unless it fell after a line break), or, in a longer line, after the word it fell in; an uncut output is kept whole")
    func cutAtLine() {
        let text = Array("ghp_cut-in-the-middle\nsecond line\n".utf8)
        #expect(Array(OutputTail.suffix(text.count, of: text)) == text)
        #expect(Array(OutputTail.suffix(14, of: text)) == Array("second line\n".utf8))
        #expect(Array(OutputTail.suffix(12, of: text)) == Array("second line\n".utf8))
        #expect(Array(OutputTail.suffix(11, of: text)) == Array(" line\n".utf8), "no break in its first quarter: the cut word goes")
        var ring = OutputTail(cap: 14)
        ring.append(text[...])
        #expect(Array(OutputTail.fromLineStart(ring.bytes[...], after: ring.lastDropped)) == Array("second line\n".utf8))
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000)
        #expect(OutputTail.fromLineStart(long[...], after: UInt8(ascii: "x")).isEmpty)
        #expect(Array(OutputTail.fromLineStart((long + Array(" and on".utf8))[...], after: UInt8(ascii: "x"))) == Array(" and on".utf8))
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
        // A CLI's floating-point sum is taken to the 1e-12 dollar.
        #expect(Usage(reportedCost: 0.39751200000000003, turns: nil).costUSD == Decimal(string: "0.397512"))
        #expect(Usage(reportedCost: 0.1 + 0.2, turns: nil).costUSD == Decimal(string: "0.3"))
        #expect(Usage(reportedCost: 0.0000001234, turns: nil).costUSD == Decimal(string: "0.0000001234"))
        #expect(Usage(reportedCost: 123456.789, turns: nil).costUSD == Decimal(string: "123456.789"))
    }

    @Test("amounts read in cents, and under a cent with the decimals they need")
    func dollars() {
        #expect([0, 0.036, 12.5, 0.0001, 0.0000003, 0.00012345, 1e-13].map(\.dollars) == ["0.00", "0.04", "12.50", "0.0001", "0.0000003", "0.00012345", "0.00"])
        #expect(Decimal(string: "0.0000003")!.dollars == "0.0000003")
    }
}
