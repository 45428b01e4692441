import Foundation
import Testing

/// `git aee report`: one self-contained HTML page of the tasks' stories.
@Suite("the HTML report")
struct ReportTests {
    /// A repository with a two-iteration task and a task whose title is markup.
    func reported() throws -> (repo: Scratch, id: String, hostile: String) {
        let repo = try calculatorRepository()
        #expect(try repo.aee("task", "Make calc add", "--agent", exampleAgent("learner")).status == 0)
        let id = try repo.onlyTaskID()
        let hostile = try repo.draft("<script>alert(1)</script> & <img src=x onerror=alert(2)>")
        return (repo, id, hostile)
    }

    @Test("one file, nothing from elsewhere: the iterations, the failed gate's output, the attempts' graph, the change and the timeline; markup in a title is text")
    func selfContained() throws {
        let (repo, id, hostile) = try reported()
        let written = try repo.aee("report", "-o", "out.html")
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout == "out.html\n")
        let page = try String(contentsOf: repo.directory.appendingPathComponent("out.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""))
        #expect(!page.contains("<script"), "no script, and the hostile title escaped")
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains(" src=\"") && !page.contains("<img"), "nothing loaded from elsewhere")
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;"))
        #expect(page.contains("<section id=\"task-\(id)\">") && page.contains("<section id=\"task-\(hostile)\">"))
        #expect(page.contains("<summary>Iteration 1: failed, "))
        #expect(page.contains("<summary>Iteration 2: passed, "))
        #expect(page.contains("<pre>FAIL: ./calc.sh 2 3 printed -1, expected 5\n</pre>"))
        #expect(page.contains("<svg class=\"attempts\""))
        // Each work item's own change, and the failure context the second iteration was given.
        let itemChange = try #require(page.firstRange(of: "<details class=\"item-change\"><summary>the change of work item <code>fix-add</code>: 1 file, commit <code>"))
        #expect(page[itemChange.upperBound...].prefix(2000).contains("<span class=\"file\">+++ b/calc.sh</span>"))
        #expect(page.contains("<summary>the failure context the next iteration is given (failure_context.json)</summary>\n<pre>{\n  &quot;agent&quot;: null,"), "\(page)")
        #expect(page.contains("&quot;reason&quot;: &quot;gates_failed&quot;"))
        #expect(page.contains("<span class=\"add\">+echo $(($1 + $2))</span>"))
        #expect(page.contains("<td>started</td>") && page.contains("<td>succeeded</td>"))
        // Only the tasks named; to stdout with -o -; into a directory as aee-report.html.
        let one = try repo.aee("report", id, "-o", "-")
        #expect(one.stdout.contains("task-\(id)") && !one.stdout.contains("task-\(hostile)"))
        try FileManager.default.createDirectory(at: repo.root.appendingPathComponent("artifacts"), withIntermediateDirectories: true)
        let directory = try repo.aee("report", "-o", repo.root.appendingPathComponent("artifacts").path)
        #expect(directory.stdout == repo.root.appendingPathComponent("artifacts/aee-report.html").path + "\n")
        #expect(try repo.aee("report", "-o", "/nonexistent/dir/x.html").stderr.hasPrefix("fatal: /nonexistent/dir/x.html: cannot be written: "))
        #expect(try repo.aee("report", "-o", "").status == 129)
    }

    @Test("rendered by headless Chromium: the iterations, the failed gate's output and the graph are in the page, the markup title is text, no script ran",
          .enabled(if: chromium != nil, "chromium is not installed (make test installs it with apt-get where it can)"))
    func inABrowser() throws {
        let (repo, id, hostile) = try reported()
        #expect(try repo.aee("report", "-o", "report.html").status == 0)
        let file = repo.directory.appendingPathComponent("report.html").path
        let browser = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + repo.root.appendingPathComponent("chromium").path]
        let dom = try repo.run(chromium!, browser + ["--dump-dom", "file://" + file])
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(dom.stdout.contains("<section id=\"task-\(id)\">"))
        #expect(dom.stdout.contains("Iteration 1: failed"))
        #expect(dom.stdout.contains("FAIL: ./calc.sh 2 3 printed -1, expected 5"))
        #expect(dom.stdout.contains("<svg class=\"attempts\""))
        #expect(dom.stdout.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the title is text in the DOM")
        #expect(!dom.stdout.contains("<script"), "no script element in the rendered page")
        #expect(dom.stdout.contains("task-\(hostile)"))
        // A screenshot kept for a person to look at: .build/test-artifacts/report.png.
        let artifacts = DocumentationTests.root.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let shot = try repo.run(chromium!, browser + ["--window-size=1200,1600", "--screenshot=" + artifacts.appendingPathComponent("report.png").path, "file://" + file])
        #expect(shot.status == 0, "\(shot.stderr)")
        #expect(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("report.png").path))
    }
}
