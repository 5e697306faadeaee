import CSQLite
import Foundation

/// SQLite through libsqlite3, in WAL mode, with one connection that serialises
/// every statement (SQLite allows one writer at a time anyway) and a cache of
/// prepared statements; a second connection checkpoints the log (`WALCheckpointer`). Shared transactions (webhook commits) go through a group commit: those asked for
/// at the same moment share one commit, each in a savepoint of its own.
public final class SQLiteDatabase: Database, @unchecked Sendable {
    public let dialect = SQLDialect.sqlite
    private let lock = NSLock()
    private let connection: Connection
    private let group: GroupCommit

    /// Opens (and creates) the database at `path`; `:memory:` for a private in-memory one.
    public init(path: String) throws {
        if path != ":memory:" {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw DatabaseError(kind: .connection, message: "cannot open SQLite database at \(path): \(message)")
        }
        let connection = Connection(handle: handle)
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = NORMAL")
        try connection.execute("PRAGMA busy_timeout = 5000")
        try connection.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:" {
            let checkpointer = try WALCheckpointer(path: path)
            connection.checkpointer = checkpointer
            try checkpointer.attach(to: handle)
        }
        self.connection = connection
        group = GroupCommit { [lock] batch in
            try Self.exclusiveTransaction(connection, lock: lock) { batch($0) }
        }
    }

    public func transaction<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try Self.exclusiveTransaction(connection, lock: lock, body)
    }

    public func sharedTransaction<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        try await group.run(body)
    }

    private static func exclusiveTransaction<T>(_ connection: Connection, lock: NSLock, _ body: (SQLConnection) throws -> T) throws -> T {
        let (result, committed) = try lock.withLock {
            _ = connection.commitActions.take()
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let result = try body(connection)
                try connection.execute("COMMIT")
                return (result, connection.commitActions.take())
            } catch {
                _ = try? connection.execute("ROLLBACK")
                _ = connection.commitActions.take()
                throw error
            }
        }
        committed.forEach { $0() }
        return result
    }

    public func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try lock.withLock { try body(connection) }
    }

    /// SQLite calls take microseconds: run them inline.
    public func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try work()
    }

    /// One open connection and its statement cache. Only used under the mutex.
    final class Connection: SQLConnection {
        let handle: OpaquePointer
        private var statements: [String: OpaquePointer] = [:]
        var commitActions = CommitActions()
        /// Checkpoints the log off the commit path (a file database only); stopped once the handle is closed.
        var checkpointer: WALCheckpointer?

        init(handle: OpaquePointer) { self.handle = handle }

        deinit {
            for statement in statements.values { sqlite3_finalize(statement) }
            sqlite3_close_v2(handle)
            checkpointer?.stop()
        }

        func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
            let statement = try prepare(sql, parameters)
            defer { sqlite3_reset(statement) }
            while true {
                let code = sqlite3_step(statement)
                if code == SQLITE_DONE { break }
                if code != SQLITE_ROW { throw error(code, sql) }
            }
            return Int(sqlite3_changes(handle))
        }

        func afterCommit(_ action: @escaping @Sendable () -> Void) {
            commitActions.append(action)
        }

        var commitActionCount: Int { commitActions.count }

        func dropCommitActions(after count: Int) {
            commitActions.drop(after: count)
        }

        func query(_ sql: String, _ parameters: [SQLValue]) throws -> [Row] {
            let statement = try prepare(sql, parameters)
            defer { sqlite3_reset(statement) }
            let count = sqlite3_column_count(statement)
            let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) }
            var rows: [Row] = []
            while true {
                let code = sqlite3_step(statement)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else { throw error(code, sql) }
                rows.append(Row(columns: columns, values: (0..<count).map { value(statement, $0) }))
            }
            return rows
        }

        private func prepare(_ sql: String, _ parameters: [SQLValue]) throws -> OpaquePointer {
            let statement: OpaquePointer
            if let cached = statements[sql] {
                statement = cached
                sqlite3_clear_bindings(statement)
            } else {
                var prepared: OpaquePointer?
                let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
                guard code == SQLITE_OK, let prepared else { throw error(code, sql) }
                statements[sql] = prepared
                statement = prepared
            }
            // `$1`-style parameters are named parameters to SQLite: bind each by its name.
            for (offset, parameter) in parameters.enumerated() {
                let index = sqlite3_bind_parameter_index(statement, "$\(offset + 1)")
                guard index > 0 else { continue }
                let code: Int32
                switch parameter {
                case .null: code = sqlite3_bind_null(statement, index)
                case .integer(let value): code = sqlite3_bind_int64(statement, index, value)
                case .real(let value): code = sqlite3_bind_double(statement, index, value)
                case .text(let value): code = sqlite3_bind_text(statement, index, value, -1, sqliteTransient)
                case .blob(let bytes):
                    code = bytes.withUnsafeBytes {
                        sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), sqliteTransient)
                    }
                }
                guard code == SQLITE_OK else { throw error(code, sql) }
            }
            return statement
        }

        private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
            switch sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
            case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
            case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, column)))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(statement, column))
                guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
            default: return .null
            }
        }

        private func error(_ code: Int32, _ sql: String) -> DatabaseError {
            let message = String(cString: sqlite3_errmsg(handle))
            let kind: DatabaseError.Kind =
                switch code & 0xFF {
                case SQLITE_CONSTRAINT: .constraint
                case SQLITE_BUSY, SQLITE_LOCKED: .busy
                default: .statement
                }
            return DatabaseError(kind: kind, message: "\(message) (in: \(sql.prefix(120)))")
        }
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
