import Foundation

/// Up to `size` connections to one server, opened when first needed and lent to one caller at a time.
/// A caller waits while all are lent, up to `checkoutTimeout`.
final class PostgresPool: @unchecked Sendable {
    let size: Int
    private let url: String
    private let checkoutTimeout: Duration
    private let condition = NSCondition()
    /// Guarded by `condition`: the connections not lent out, and how many are open in all.
    private var idle: [PostgresConnection] = []
    private var openCount = 0

    init(url: String, size: Int, checkoutTimeout: Duration) {
        self.url = url
        self.size = size
        self.checkoutTimeout = checkoutTimeout
    }

    /// Lends a working connection to `body`, then takes it back.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    private func checkout() throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(checkoutTimeout / .seconds(1))
        condition.lock()
        while idle.isEmpty && openCount >= size {
            guard condition.wait(until: deadline) else {
                condition.unlock()
                throw DatabaseError(
                    kind: .busy,
                    message: "all \(size) PostgreSQL connections stayed in use for \(checkoutTimeout) (SWITCHBOARD_DB_POOL_SIZE)")
            }
        }
        let reused = idle.popLast()
        if reused == nil { openCount += 1 }
        condition.unlock()
        // Connecting and reconnecting block: do them outside the lock.
        do {
            guard let reused else { return try PostgresConnection(url: url) }
            try reused.ensureConnected()
            return reused
        } catch {
            release(nil)
            throw error
        }
    }

    private func checkin(_ connection: PostgresConnection) {
        release(connection.prepareForReuse() ? connection : nil)
    }

    /// Returns a connection to the idle ones, or gives up its place (`nil`), and wakes one waiter.
    private func release(_ connection: PostgresConnection?) {
        condition.lock()
        if let connection { idle.append(connection) } else { openCount -= 1 }
        condition.signal()
        condition.unlock()
    }
}
