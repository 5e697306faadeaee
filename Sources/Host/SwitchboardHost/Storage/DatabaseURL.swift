import Foundation

/// Where the host's data lives, from `SWITCHBOARD_DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// The default: `./data/switchboard.sqlite`.
    public static let `default` = DatabaseLocation.sqlite(path: "./data/switchboard.sqlite")

    /// Parses `sqlite:///abs/path`, `sqlite://relative/path`, `sqlite::memory:` or `postgres://…`.
    public init(url: String) throws {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(url: url)
        } else if url == "sqlite::memory:" {
            self = .sqlite(path: ":memory:")
        } else if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw ConfigurationError("SWITCHBOARD_DATABASE_URL names no SQLite file: \(url)") }
            self = .sqlite(path: path)
        } else {
            throw ConfigurationError(
                "SWITCHBOARD_DATABASE_URL must start with sqlite:// or postgres:// (got \(url))")
        }
    }

    /// Opens the database this location names and brings its schema up to date.
    /// `poolSize` is how many connections PostgreSQL may use (SQLite uses one).
    public func open(poolSize: Int = PostgresDatabase.defaultPoolSize, progress: (String) -> Void = { _ in }) throws -> Database {
        let database: Database
        switch self {
        case .sqlite(let path):
            database = try SQLiteDatabase(path: path)
        case .postgres(let url):
            database = try PostgresDatabase(url: url, poolSize: poolSize)
        }
        try Migrations.apply(to: database, progress: progress)
        return database
    }
}

/// A configuration problem the operator can fix; its message says how.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
