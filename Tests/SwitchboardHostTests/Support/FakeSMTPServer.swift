import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A minimal SMTP server on 127.0.0.1, one connection at a time, speaking just enough SMTP (220, EHLO/HELO,
/// MAIL FROM, RCPT TO, DATA, ".", RSET, NOOP, QUIT) to accept and record messages. `rejectRecipients`
/// answers RCPT TO with 550, as a server refusing a mailbox does.
final class FakeSMTPServer: Sendable {
    struct Received: Sendable {
        let commands: [String]
        let mailFrom: String
        let recipients: [String]
        /// The DATA section as sent, dot-stuffing undone, lines joined with CRLF.
        let data: String
    }

    let port: Int
    private let listener: Int32
    private let received = Mutex<[Received]>([])
    private let rejectRecipients: Bool

    var messages: [Received] { received.withLock { $0 } }

    init(rejectRecipients: Bool = false) throws {
        self.rejectRecipients = rejectRecipients
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 8) == 0 else { throw TestEnvironment.FixtureError(message: "the fake SMTP server cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting connections. The accept thread closes the socket once `accept` fails, so its descriptor
    /// cannot be reused by another test's server while this thread still accepts on it.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                close(listener)
                return
            }
            serve(connection)
            close(connection)
        }
    }

    private func serve(_ connection: Int32) {
        var reader = LineReader(fd: connection)
        func reply(_ line: String) { _ = line.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        reply("220 fake.localhost ESMTP\r\n")
        var commands: [String] = [], mailFrom = "", recipients: [String] = []
        while let line = reader.next() {
            commands.append(line)
            let verb = line.prefix(4).uppercased()
            switch verb {
            case "EHLO": reply("250-fake.localhost\r\n250 8BITMIME\r\n")
            case "HELO", "NOOP": reply("250 OK\r\n")
            case "RSET":
                mailFrom = ""
                recipients = []
                reply("250 OK\r\n")
            case "MAIL":
                mailFrom = String(line.dropFirst("MAIL FROM:".count))
                reply("250 OK\r\n")
            case "RCPT":
                if rejectRecipients {
                    reply("550 5.1.1 no such mailbox\r\n")
                } else {
                    recipients.append(String(line.dropFirst("RCPT TO:".count)))
                    reply("250 OK\r\n")
                }
            case "DATA":
                reply("354 end with <CRLF>.<CRLF>\r\n")
                var lines: [String] = []
                while let dataLine = reader.next(), dataLine != "." {
                    lines.append(dataLine.hasPrefix("..") ? String(dataLine.dropFirst()) : dataLine)
                }
                let message = Received(commands: commands, mailFrom: mailFrom, recipients: recipients, data: lines.joined(separator: "\r\n"))
                received.withLock { $0.append(message) }
                reply("250 OK queued\r\n")
            case "QUIT":
                reply("221 bye\r\n")
                return
            default:
                reply("502 not implemented\r\n")
            }
        }
    }

    /// CRLF-terminated lines from a socket.
    private struct LineReader {
        let fd: Int32
        var buffer: [UInt8] = []

        mutating func next() -> String? {
            while true {
                if let end = buffer.indices.first(where: { $0 > 0 && buffer[$0] == 10 && buffer[$0 - 1] == 13 }) {
                    let line = String(decoding: buffer[..<(end - 1)], as: UTF8.self)
                    buffer.removeFirst(end + 1)
                    return line
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = recv(fd, &chunk, chunk.count, 0)
                guard count > 0 else { return nil }
                buffer += chunk.prefix(count)
            }
        }
    }
}
