/// A value bound to or read from a SQL statement. Times are epoch milliseconds
/// (`.integer`), JSON is `.text`.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }

    /// `.text(value)`, or `.null` for `nil`.
    public static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    /// `.integer(value)`, or `.null` for `nil`.
    public static func integer(_ value: Int?) -> SQLValue { value.map { .integer(Int64($0)) } ?? .null }
}

/// One result row, with its values addressable by column name.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public subscript(_ column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    public func string(_ column: String) -> String? {
        switch self[column] {
        case .text(let value): value
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .blob(let bytes): String(decoding: bytes, as: UTF8.self)
        case .null: nil
        }
    }

    public func int(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let value): value
        case .real(let value): Int64(value)
        case .text(let value): Int64(value)
        default: nil
        }
    }
}

/// The SQL dialect differences that portable statements must know about.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// A clause that locks the selected rows until the transaction ends, so a read-merge-write
    /// cannot lose a concurrent update. SQLite has one writer at a time and needs none.
    public var forUpdate: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE"
        }
    }

    /// An expression that extracts a top-level JSON member of a text column as text, the same
    /// on both: strings as they are, numbers as written, booleans as `1` and `0`.
    public func jsonText(_ column: String, field parameter: Int) -> String {
        switch self {
        case .sqlite: "CAST(json_extract(\(column), '$.' || $\(parameter)) AS TEXT)"
        case .postgres:
            """
            (CASE jsonb_typeof(\(column)::jsonb -> $\(parameter)::text) \
            WHEN 'boolean' THEN ((\(column)::jsonb -> $\(parameter)::text)::boolean)::int::text \
            ELSE \(column)::jsonb ->> $\(parameter)::text END)
            """
        }
    }
}

/// A connection inside a transaction or read. Statements use `$1`-style parameters.
public protocol SQLConnection {
    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int
    /// Runs a query and returns its rows.
    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [Row]
    /// Runs `action` after the current transaction commits, outside the database's locks; never when the
    /// transaction, or the savepoint it was registered in, rolls back.
    func afterCommit(_ action: @escaping @Sendable () -> Void)
    /// How many `afterCommit` actions the current transaction holds: a savepoint notes it when it starts.
    var commitActionCount: Int { get }
    /// Forgets the actions registered after the first `count`: those of a savepoint that rolled back.
    func dropCommitActions(after count: Int)
}

/// The `afterCommit` actions of a connection's current transaction.
struct CommitActions {
    private var actions: [@Sendable () -> Void] = []

    mutating func append(_ action: @escaping @Sendable () -> Void) { actions.append(action) }

    var count: Int { actions.count }

    mutating func drop(after count: Int) {
        if actions.count > count { actions.removeLast(actions.count - count) }
    }

    /// The actions registered so far, leaving none.
    mutating func take() -> [@Sendable () -> Void] {
        defer { actions = [] }
        return actions
    }
}

extension SQLConnection {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }
    public func query(_ sql: String) throws -> [Row] { try query(sql, []) }
}

/// The host's storage. SQLite is the embedded default; PostgreSQL serves larger deployments.
///
/// Calls are synchronous and may block: the host calls them from plugin threads, and
/// async code (request handlers, services) wraps them in `perform`.
public protocol Database: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` inside one transaction; an error rolls everything back. A failed statement
    /// aborts the whole transaction on PostgreSQL, so do not catch one and carry on.
    @discardableResult
    func transaction<T>(_ body: (SQLConnection) throws -> T) throws -> T
    /// Runs `body` in a transaction that callers arriving at the same moment may share (group commit), and
    /// returns once it has committed. `body` runs in a savepoint of its own: its error undoes only its writes.
    func sharedTransaction<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T
    /// Runs read-only statements.
    @discardableResult
    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T
    /// Runs blocking storage work where it may block: inline for SQLite, on a thread pool for PostgreSQL.
    func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T
}

/// A database failure, with the driver's message.
public struct DatabaseError: Error, CustomStringConvertible {
    public enum Kind: Sendable { case connection, statement, constraint, busy }
    public let kind: Kind
    public let message: String
    public var description: String { message }
}
