/// A plan or a review's verdict given as text (a model's reply), for CLIs that cannot hand one over as structured
/// output; and the schemas for those that can.
enum AnswerText {
    /// The plan's JSON schema, for CLIs that hold their answer to one (`summary`, `work_items`, as `AgentPrompt` asks).
    static let planSchema = #"{"type":"object","properties":{"summary":{"type":"string"},"work_items":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"depends_on":{"type":"array","items":{"type":"string"}}},"required":["id","title","description"]}}},"required":["summary","work_items"]}"#

    /// A review's verdict: `approve` or `request_changes`, with comments.
    static let reviewSchema = #"{"type":"object","properties":{"verdict":{"type":"string","enum":["approve","request_changes"]},"comments":{"type":"array","items":{"type":"string"}}},"required":["verdict","comments"]}"#

    /// The schema of what a call of `stage` answers with; nil for the execute stage, which changes files instead.
    static func schema(for stage: AgentStage) -> String? {
        switch stage {
        case .plan: planSchema
        case .review: reviewSchema
        case .execute: nil
        }
    }

    /// The key an answer of `stage` must have to be taken for one.
    static func key(for stage: AgentStage) -> String {
        stage == .review ? "verdict" : "work_items"
    }

    /// The last JSON object in `text` that has `key`, as bytes; nil when there is none.
    static func json(in text: String, having key: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        var found: [UInt8]?
        var start = 0
        while let open = bytes[start...].firstIndex(of: UInt8(ascii: "{")) {
            if let close = closing(from: open, in: bytes), let value = JSONValue.parse(bytes[open...close]), value[key] != nil {
                found = Array(bytes[open...close])
                start = close + 1
            } else {
                start = open + 1
            }
        }
        return found
    }

    /// Where the object that begins at `open` ends, strings and escapes respected.
    private static func closing(from open: Int, in bytes: [UInt8]) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for index in open..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }
}
