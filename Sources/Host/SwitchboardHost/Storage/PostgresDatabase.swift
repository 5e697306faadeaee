import NIOPosix

/// PostgreSQL through libpq: a pool of connections, each serving one transaction or read at a
/// time, and a thread pool of the same size on which async callers run their blocking work.
public final class PostgresDatabase: Database {
    public static let defaultPoolSize = 8
    public let dialect = SQLDialect.postgres
    private let pool: PostgresPool
    private let threads: NIOThreadPool

    /// Prepares up to `poolSize` connections to `url` (`postgres://user:pass@host:port/db?sslmode=…`);
    /// none is opened before it is needed. Throws at once if the URL does not parse.
    public init(url: String, poolSize: Int = defaultPoolSize, checkoutTimeout: Duration = .seconds(10)) throws {
        guard poolSize > 0 else {
            throw DatabaseError(kind: .connection, message: "the PostgreSQL pool needs at least one connection (got \(poolSize))")
        }
        try PostgresConnection.validate(url: url)
        pool = PostgresPool(url: url, size: poolSize, checkoutTimeout: checkoutTimeout)
        threads = NIOThreadPool(numberOfThreads: poolSize)
        threads.start()
    }

    deinit {
        threads.shutdownGracefully { _ in }
    }

    @discardableResult
    public func transaction<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        let (result, committed) = try pool.withConnection { connection in
            _ = connection.commitActions.take()
            try connection.execute("BEGIN")
            do {
                let result = try body(connection)
                try connection.commit()
                return (result, connection.commitActions.take())
            } catch {
                connection.rollback()
                _ = connection.commitActions.take()
                throw error
            }
        }
        committed.forEach { $0() }
        return result
    }

    /// PostgreSQL commits concurrent transactions side by side: each caller gets its own.
    public func sharedTransaction<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        try await perform { try self.transaction(body) }
    }

    @discardableResult
    public func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try pool.withConnection { try body($0) }
    }

    public func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(work)
    }
}
