#if canImport(Glibc)
import Glibc
#endif

/// A read-only HTTP server on 127.0.0.1 for `git aee web`: GET (and HEAD) only, every request carrying the server's token and a
/// `Host` of this address (so a page elsewhere cannot reach it by DNS rebinding), one request per connection, and
/// server-sent events on `/events` whenever a task or attempt branch moves. Small on purpose: no keep-alive, no
/// ranges, no compression. A client that is slow to send its request, or to read what it is sent, is dropped, and
/// when connections run out the oldest one still sending its request goes first.
public final class LocalServer {
    public let port: UInt16
    public let token: String
    /// How many times the watched branches have moved since the server started. A page names the count it was made
    /// at when it opens its event stream, so a move while it reloaded (with no stream open to hear of it) is told
    /// to it at once.
    public private(set) var changeCount = 0
    private let listener: Int32
    /// Most connections at once; more are closed as they come.
    static let maxConnections = 64
    /// How long a client may take to send its request.
    static let requestSeconds = 5.0
    /// The server-sent event that tells a page the branches moved.
    static let changeEvent = "event: change\ndata: refs\n\n"

    /// What the server answers to a GET of a path (with the query removed): status, content type, body.
    public typealias Handler = (_ path: String) throws -> (status: Int, type: String, body: [UInt8])

    /// Listens on 127.0.0.1:`port` (0: a free one the system picks).
    public init(port: UInt16) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw WorkspaceError.cannotServe(port: port, reason: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(listener)
            throw WorkspaceError.cannotServe(port: port, reason: reason)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        self.listener = listener
        self.port = UInt16(bigEndian: address.sin_port)
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        token = bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    deinit { close(listener) }

    private struct Client {
        let descriptor: Int32
        var request: [UInt8] = []
        let since: Double
        /// Sent server-sent events, kept open until it goes away.
        var streaming = false
    }

    /// Answers requests with `handler` and tells streaming clients when `changes` (a descriptor readable when
    /// something may have moved, drained by `drain`, which says whether a task branch did) fires, until a signal
    /// ends the process.
    public func serve(changes: Int32, drain: () -> Bool, _ handler: Handler) {
        signal(SIGPIPE, SIG_IGN)
        var clients: [Client] = []
        // One git aee step moves several refs in a row: the pages are told once they settle, 0.1 s after the first.
        var noticeDue: Double?
        while true {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: changes, events: Int16(POLLIN), revents: 0)]
                + clients.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let wait = noticeDue.map { max(0, Int32((($0 - Subprocess.now()) * 1000).rounded(.up))) } ?? 1000
            _ = poll(&descriptors, nfds_t(descriptors.count), wait)
            let now = Subprocess.now()
            if descriptors[1].revents != 0, drain() {
                changeCount += 1
                noticeDue = noticeDue ?? now + 0.1
            }
            for (index, client) in clients.enumerated().reversed() where descriptors[index + 2].revents != 0 || (!client.streaming && now - client.since > Self.requestSeconds) {
                guard !client.streaming else {
                    // A streaming client that sends anything, or hangs up, is done.
                    close(client.descriptor)
                    clients.remove(at: index)
                    continue
                }
                var updated = client
                var buffer = [UInt8](repeating: 0, count: 8192)
                let count = buffer.withUnsafeMutableBytes { recv(client.descriptor, $0.baseAddress, $0.count, 0) }
                if count > 0 { updated.request += buffer.prefix(count) }
                let complete = updated.request.firstRange(of: Array("\r\n\r\n".utf8)) != nil
                if complete, respond(to: updated.request, descriptor: client.descriptor, handler) {
                    updated.streaming = true
                    clients[index] = updated
                } else if complete || count == 0 || updated.request.count > 16 * 1024 || now - client.since > Self.requestSeconds {
                    close(client.descriptor)
                    clients.remove(at: index)
                } else {
                    clients[index] = updated
                }
            }
            // After the clients' own events: those are read by their place in this poll's list, which this changes.
            if let due = noticeDue, now >= due {
                noticeDue = nil
                clients = clients.filter { client in
                    guard client.streaming else { return true }
                    if send(client.descriptor, Array(Self.changeEvent.utf8)) { return true }
                    close(client.descriptor)
                    return false
                }
            }
            if descriptors[0].revents != 0 {
                while case let descriptor = accept(listener, nil, nil), descriptor >= 0 {
                    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
                    _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                    // Full: the oldest client still sending its request makes room (a flood of idle connections
                    // cannot keep a real request out), else the oldest event stream (a page open longest).
                    if clients.count >= Self.maxConnections, let oldest = clients.firstIndex(where: { !$0.streaming }) ?? clients.indices.first {
                        close(clients[oldest].descriptor)
                        clients.remove(at: oldest)
                    }
                    clients.append(Client(descriptor: descriptor, since: now))
                }
            }
        }
    }

    /// Answers one request; returns true when the connection now streams events, false when it is done.
    private func respond(to request: [UInt8], descriptor: Int32, _ handler: Handler) -> Bool {
        let head = String(decoding: request, as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let words = lines.first?.split(separator: " ") ?? []
        let host = lines.dropFirst().first { $0.lowercased().hasPrefix("host:") }.map { String($0.dropFirst(5)).trimmingWhitespace }
        guard words.count == 3 else { return reply(descriptor, 400, "text/plain", "bad request\n") }
        guard words[0] == "GET" || words[0] == "HEAD" else { return reply(descriptor, 405, "text/plain", "only GET and HEAD\n") }
        let headOnly = words[0] == "HEAD"
        guard host == "127.0.0.1:\(port)" || host == "localhost:\(port)" else { return reply(descriptor, 403, "text/plain", "this host is not served\n") }
        let target = String(words[1])
        let path = String(target.prefix { $0 != "?" })
        let query = target.drop { $0 != "?" }.dropFirst().split(separator: "&")
        guard query.contains(Substring("token=\(token)")) else { return reply(descriptor, 403, "text/plain", "the URL git aee web printed has the token this needs\n") }
        if path == "/events" {
            let seen = query.first { $0.hasPrefix("seen=") }.flatMap { Int($0.dropFirst("seen=".count)) }
            let missed = seen.map { $0 < changeCount } ?? false
            let header = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\nretry: 1000\n\n"
                + (missed ? Self.changeEvent : "")
            return send(descriptor, Array(header.utf8))
        }
        do {
            let answer = try handler(path)
            return reply(descriptor, answer.status, answer.type, answer.body, headOnly: headOnly)
        } catch {
            return reply(descriptor, 500, "text/plain", "\(error)\n")
        }
    }

    private func reply(_ descriptor: Int32, _ status: Int, _ type: String, _ body: String) -> Bool {
        reply(descriptor, status, type, Array(body.utf8))
    }

    private func reply(_ descriptor: Int32, _ status: Int, _ type: String, _ body: [UInt8], headOnly: Bool = false) -> Bool {
        let reason = [200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"][status] ?? "Error"
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nCache-Control: no-store\r\n"
            + "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
        _ = send(descriptor, Array(head.utf8) + (headOnly ? [] : body))
        return false
    }

    /// Sends all of `bytes` within a second, or gives up on the client (a reader too slow is not waited for).
    private func send(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        let deadline = Subprocess.now() + 1
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EINTR, Subprocess.now() < deadline {
                var wait = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&wait, 1, 100)
            } else {
                return false
            }
        }
        return true
    }
}
