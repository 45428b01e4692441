import Testing
@testable import AEECore

@Suite("JSON's grammar, held to where people edit files by hand")
struct JSONSyntaxTests {
    @Test("what JSON allows passes", arguments: [
        #"{}"#, #"[]"#, " \n{\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\n\\u00e9\\\"\"]}\r\n", #""only a string""#, "0", "-0.0E-1",
        #"{"a": {"b": [[], {}]}}"#,
    ])
    func valid(text: String) {
        #expect(JSONSyntax.problem(in: Array(text.utf8)) == nil)
    }

    @Test("a byte-order mark before the document is passed over, as jq and Python pass it; a second one is not")
    func byteOrderMark() {
        #expect(JSONSyntax.problem(in: [0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8)) == nil)
        #expect(JSONSyntax.problem(in: [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("{}".utf8)) != nil)
    }

    @Test("what it does not is named with its line and column", arguments: [
        ("{\"a\": 1,}", "line 1, column 9: a comma before '}'"),
        ("{\n  \"gates\": [\"a\",\n  ]\n}", "line 3, column 3: a comma before ']'"),
        ("{\"a\": 1\n", "line 2, column 1: the document ends where ',' or '}' was expected"),
        ("{a: 1}", "line 1, column 2: expected a key in double quotes"),
        ("{\"a\" 1}", "line 1, column 6: expected ':' after the key"),
        ("{\"é\": tru}", "line 1, column 7: expected a value"),
        ("[01]", "line 1, column 3: a number with a leading zero"),
        ("[1.]", "line 1, column 4: expected a digit after '.'"),
        ("\"a\nb\"", "line 1, column 3: a control character (a line break?) inside a string"),
        ("\"\\x\"", "line 1, column 2: an escape JSON does not have"),
        ("\"\\u12g4\"", "line 1, column 6: expected four hexadecimal digits after \\u"),
        ("{} {}", "line 1, column 4: more after the end of the document"),
        ("", "line 1, column 1: the document ends where a value was expected"),
        ("\"open", "line 1, column 6: the document ends inside a string"),
    ])
    func invalid(text: String, problem: String) {
        #expect(JSONSyntax.problem(in: Array(text.utf8)) == problem)
    }

    @Test("nesting past the limit is refused, not recursed into")
    func deep() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONSyntax.problem(in: Array(text.utf8))?.hasSuffix("nested deeper than 64 levels") == true)
    }
}
