import Foundation
import Testing

/// A socket connected to 127.0.0.1:`port` (-1 when it cannot connect), reads timing out after `seconds`.
func connectLocal(port: UInt16, seconds: Int = 10) -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else {
        close(descriptor)
        return -1
    }
    return descriptor
}

/// A GET as a browser sends it, on a socket of its own: the status and the body. `host` is the `Host` header.
func httpGet(port: UInt16, _ target: String, host: String? = nil, method: String = "GET") -> (status: Int, body: String) {
    let descriptor = connectLocal(port: port)
    guard descriptor >= 0 else { return (0, "") }
    defer { close(descriptor) }
    let request = "\(method) \(target) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n\r\n"
    _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while case let count = buffer.withUnsafeMutableBytes({ recv(descriptor, $0.baseAddress, $0.count, 0) }), count > 0 { response += buffer.prefix(count) }
    let text = String(decoding: response, as: UTF8.self)
    let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return (status, text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n"))
}

@Suite("the live dashboard")
struct WebTests {
    /// Starts `git aee web` in `repo`: the server, and the port and token of the URL it prints.
    func startWeb(in repo: Scratch) throws -> (server: Process, port: UInt16, token: String) {
        let printed = repo.root.appendingPathComponent("web.txt")
        _ = FileManager.default.createFile(atPath: printed.path, contents: nil)
        let server = try repo.start(["web"], stdout: try FileHandle(forWritingTo: printed))
        #expect(waitUntil(seconds: 10) { (try? String(contentsOf: printed, encoding: .utf8))?.contains("\n") == true })
        let url = try String(contentsOf: printed, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = try #require(url.wholeMatch(of: /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{32})/))
        return (server, try #require(UInt16(parts.1)), String(parts.2))
    }

    @Test("in a real browser the page follows the tasks: a task queued elsewhere appears, then shows the work item it runs, with no reload by hand",
          .enabled(if: chromium != nil, "chromium is not installed (make test installs it with apt-get where it can)"))
    func followedInABrowser() throws {
        let repo = try calculatorRepository(fixed: true)
        let (server, port, token) = try startWeb(in: repo)
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let browser = try Browser(profile: repo.root.appendingPathComponent("chromium").path)
        try browser.open("http://127.0.0.1:\(port)/?token=\(token)")
        var shown = ""
        func shows(_ text: String) -> Bool {
            waitUntil(seconds: 15) {
                shown = (try? browser.evaluate("document.querySelector('body') ? document.body.innerText : ''")).flatMap { $0 } ?? ""
                return shown.contains(text)
            }
        }
        #expect(shows("nothing queued or running"), "\(shown)")
        let queued = try repo.aee("task", "Queued while watched", "--queue").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(shows("QUEUED     \(queued)  waiting"), "\(shown)")
        let (agent, marks) = try repo.threeItemAgent()
        let run = try repo.start(["run", queued, "--agent", agent])
        defer {
            if run.isRunning { kill(run.processIdentifier, SIGKILL) }
            run.waitUntilExit()
        }
        #expect(shows("RUNNING    \(queued)  iteration 1/20 executing item 2/3"), "\(shown)")
        // The page may show item b before its agent has written down its child.
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/in-b") })
        let child = try #require(pid_t((try? String(contentsOfFile: marks + "/child", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        kill(child, SIGTERM)
        run.waitUntilExit()
        #expect(shows("SUCCEEDED"), "\(shown)")
    }

    @Test("git aee web: 127.0.0.1 only, the token and the Host checked, GET only, the page live through server-sent events, a flood of idle connections shed")
    func dashboard() throws {
        let repo = try calculatorRepository(fixed: true)
        #expect(try repo.aee("task", "Make calc add", "--agent", exampleAgent("learner")).status == 0)
        let (server, port, token) = try startWeb(in: repo)
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }

        let taken = try repo.aee("web", "--port", String(port))
        #expect(taken.status == 128 && taken.stderr == "fatal: cannot listen on 127.0.0.1:\(port): Address already in use\nhint: choose another port, or leave out --port for a free one\n", "\(taken.stderr)")
        #expect(httpGet(port: port, "/").status == 403, "no token")
        #expect(httpGet(port: port, "/?token=\(String(repeating: "0", count: 32))").status == 403, "a wrong token")
        #expect(httpGet(port: port, "/?token=\(token)", host: "attacker.example:\(port)").status == 403, "DNS rebinding")
        #expect(httpGet(port: port, "/?token=\(token)", method: "POST").status == 405)
        let head = httpGet(port: port, "/?token=\(token)", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
        let page = httpGet(port: port, "/?token=\(token)")
        #expect(page.status == 200)
        #expect(page.body.contains("<h2>Now</h2>") && page.body.contains("nothing queued or running"))
        #expect(page.body.contains("<summary>Iteration 1: passed, "), "\(page.body.prefix(400))")
        #expect(page.body.contains("script-src 'nonce-") && page.body.contains("new EventSource(\"/events?token=\(token)&seen="))

        // A page listening for events hears of a task queued elsewhere at once, and finds it on reload.
        let events = connectLocal(port: port, seconds: 5)
        #expect(events >= 0)
        defer { close(events) }
        let subscribe = "GET /events?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"
        _ = subscribe.withCString { send(events, $0, strlen($0), 0) }
        var heard = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        #expect(waitUntil(seconds: 5) {
            let count = buffer.withUnsafeMutableBytes { recv(events, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { heard += String(decoding: buffer.prefix(count), as: UTF8.self) }
            return heard.contains("text/event-stream")
        })
        let queued = try repo.aee("task", "Queued while watched", "--queue").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let started = Date()
        #expect(waitUntil(seconds: 5) {
            let count = buffer.withUnsafeMutableBytes { recv(events, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { heard += String(decoding: buffer.prefix(count), as: UTF8.self) }
            return heard.contains("event: change")
        }, "\(heard)")
        #expect(Date().timeIntervalSince(started) < 2, "within a second or so of the ref change")
        let reloaded = httpGet(port: port, "/?token=\(token)").body
        #expect(reloaded.contains("\(queued)") && reloaded.contains("QUEUED"))

        // A page reloading when a branch moves has no stream open to hear of it: the stream it opens next, naming
        // the count of moves the page was made at, hears of it at once; one naming the current count hears nothing.
        func seen(in page: String) throws -> String { String(try #require(page.firstMatch(of: /&seen=(\d+)/)).1) }
        let before = try seen(in: reloaded)
        #expect(try repo.aee("task", "Queued while the page reloaded", "--queue").status == 0)
        usleep(500_000)
        let current = try seen(in: httpGet(port: port, "/?token=\(token)").body)
        #expect(Int(current)! > Int(before)!)
        func firstWords(of stream: String) -> String {
            let descriptor = connectLocal(port: port, seconds: 5)
            defer { close(descriptor) }
            let request = "GET /events?token=\(token)&seen=\(stream) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"
            _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
            var heard = ""
            _ = waitUntil(seconds: 1) {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if count > 0 { heard += String(decoding: buffer.prefix(count), as: UTF8.self) }
                return heard.contains("event: change")
            }
            return heard
        }
        #expect(firstWords(of: before).contains("event: change"), "a move missed while reloading is told at once")
        #expect(!firstWords(of: current).contains("event: change"), "nothing moved since: nothing to tell")

        // 100 connections that never send a request: a real one is still answered, and the server stays up.
        let idle = (0..<100).map { _ in connectLocal(port: port) }
        #expect(httpGet(port: port, "/?token=\(token)").status == 200)
        idle.forEach { close($0) }
        #expect(server.isRunning)
        // 70 open event streams (more than the server holds): the oldest make room, a real request is answered.
        let streams = (0..<70).map { _ in connectLocal(port: port) }
        for descriptor in streams { _ = subscribe.withCString { send(descriptor, $0, strlen($0), 0) } }
        usleep(300_000)
        #expect(httpGet(port: port, "/?token=\(token)").status == 200)
        streams.forEach { close($0) }

        // A task under way is shown with its stage and what it has cost so far.
        let (agent, marks) = try repo.threeItemAgent()
        let run = try repo.start(["run", queued, "--agent", agent])
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/in-b") })
        let now = httpGet(port: port, "/?token=\(token)").body
        #expect(now.contains("\(queued)  iteration 1/20 executing item 2/3 ") && now.contains("cost unknown so far"), "\(now.prefix(1500))")
        let child = try String(contentsOfFile: marks + "/child", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        kill(pid_t(child)!, SIGTERM)
        run.waitUntilExit()
    }
}
