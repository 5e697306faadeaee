import CLibPQ
import Foundation

/// `LISTEN`/`NOTIFY` on a connection kept for listening: no other statement may run on it meanwhile.
extension PostgresConnection {
    /// One notification: the channel it was sent on and its payload.
    struct Notification: Sendable {
        let channel: String
        let payload: String
    }

    /// Starts listening on `channel` (any text: it is quoted as an identifier).
    func listen(_ channel: String) throws {
        try execute("LISTEN \"\(channel.replacingOccurrences(of: "\"", with: "\"\""))\"")
    }

    /// Waits up to `timeoutMillis` for the server to send something, then returns the notifications
    /// received (maybe none). Throws when the connection is lost.
    func notifications(timeoutMillis: Int32) throws -> [Notification] {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw lost() }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMillis)
        guard ready >= 0 || errno == EINTR else { throw lost() }
        if ready > 0 && descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && descriptor.revents & Int16(POLLIN) == 0 {
            throw lost()
        }
        guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else { throw lost() }
        var received: [Notification] = []
        while let notify = PQnotifies(handle) {
            received.append(Notification(channel: String(cString: notify.pointee.relname), payload: String(cString: notify.pointee.extra)))
            PQfreemem(notify)
        }
        return received
    }

    private func lost() -> DatabaseError {
        DatabaseError(kind: .connection, message: "lost the listening connection to PostgreSQL: \(Self.lastError(handle))")
    }
}
