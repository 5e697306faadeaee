import CLibPQ
import Foundation

/// One libpq connection. The pool hands it to one caller at a time.
final class PostgresConnection: SQLConnection {
    /// The libpq connection, for this type and its extensions only.
    let handle: OpaquePointer
    /// What to run once the current transaction has committed.
    var commitActions = CommitActions()

    /// Connects to `url`; libpq takes what the URL leaves out from its environment (PGHOST, PGSSLMODE, …).
    init(url: String) throws {
        // client_encoding goes in as a connection option, so it survives PQreset.
        let handle = withCStringArray(["dbname", "client_encoding", "fallback_application_name"]) { keywords in
            withCStringArray([url, "UTF8", "switchboard"]) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let handle else {
            throw DatabaseError(kind: .connection, message: "cannot connect to PostgreSQL: out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.lastError(handle)
            PQfinish(handle)
            throw DatabaseError(kind: .connection, message: "cannot connect to PostgreSQL: \(message)")
        }
        // Notices (and a dropped connection's farewell) would go to stderr: the host reports errors itself.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    deinit { PQfinish(handle) }

    /// Checks `url`'s syntax without connecting.
    static func validate(url: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &error) else {
            let message = error.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "out of memory"
            PQfreemem(error)
            throw DatabaseError(kind: .connection, message: "invalid PostgreSQL URL: \(message)")
        }
        PQconninfoFree(options)
    }

    /// Reconnects if the server has dropped the connection. Reads only what the socket already
    /// holds, so a healthy connection costs no round trip: a server that drops a connection sends
    /// a farewell error, which the first read takes, and closes it, which the second read sees.
    func ensureConnected() throws {
        if PQconsumeInput(handle) == 1 && PQconsumeInput(handle) == 1 && PQstatus(handle) == CONNECTION_OK { return }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw DatabaseError(kind: .connection, message: "lost the connection to PostgreSQL: \(Self.lastError(handle))")
        }
    }

    /// Ends any transaction a caller left open; false when the connection cannot be used again.
    func prepareForReuse() -> Bool {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return true
        case PQTRANS_INTRANS, PQTRANS_INERROR:
            rollback()
            return PQtransactionStatus(handle) == PQTRANS_IDLE
        default: return false
        }
    }

    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try run(sql, parameters) { Int(String(cString: PQcmdTuples($0))) ?? 0 }
    }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [Row] {
        try run(sql, parameters) { result in
            let count = PQnfields(result)
            let columns = (0..<count).map { String(cString: PQfname(result, $0)) }
            return (0..<PQntuples(result)).map { row in
                Row(columns: columns, values: (0..<count).map { PostgresValues.value(result, row: row, column: $0) })
            }
        }
    }

    /// Commits, and throws if the server rolled back instead: it answers COMMIT with ROLLBACK
    /// when a statement of the transaction failed.
    func commit() throws {
        try run("COMMIT", []) { result in
            guard String(cString: PQcmdStatus(result)) == "COMMIT" else {
                throw DatabaseError(kind: .statement, message: "the transaction was rolled back because a statement in it failed")
            }
        }
    }

    func afterCommit(_ action: @escaping @Sendable () -> Void) {
        commitActions.append(action)
    }

    var commitActionCount: Int { commitActions.count }

    func dropCommitActions(after count: Int) {
        commitActions.drop(after: count)
    }

    func rollback() {
        _ = try? execute("ROLLBACK")
    }

    /// Runs one statement and hands its successful result to `body`.
    private func run<R>(_ sql: String, _ parameters: [SQLValue], _ body: (OpaquePointer) throws -> R) throws -> R {
        let result = try PostgresValues.withParameters(parameters) { types, values, lengths, formats in
            PQexecParams(handle, sql, Int32(parameters.count), types, values, lengths, formats, 0)
        }
        guard let result else { throw error(nil, sql) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return try body(result)
        default: throw error(result, sql)
        }
    }

    /// The `DatabaseError` for a failed statement, its kind taken from the SQLSTATE.
    private func error(_ result: OpaquePointer?, _ sql: String) -> DatabaseError {
        func field(_ code: Int32) -> String? {
            result.flatMap { PQresultErrorField($0, code) }.map { String(cString: $0) }
        }
        let state = field(sb_pq_diag_sqlstate) ?? ""
        let message = field(sb_pq_diag_message_primary) ?? Self.lastError(handle)
        let kind: DatabaseError.Kind =
            // 08: connection exceptions; 57P01-57P03: the server is shutting down, crashed or starting up.
            if PQstatus(handle) != CONNECTION_OK || state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) {
                .connection
            } else if state.hasPrefix("23") {
                .constraint
            } else if ["40001", "40P01", "55P03"].contains(state) {
                .busy
            } else {
                .statement
            }
        let code = state.isEmpty ? "" : " [\(state)]"
        return DatabaseError(kind: kind, message: "\(message)\(code) (in: \(sql.prefix(120)))")
    }

    static func lastError(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `strings` as a NULL-terminated C array, valid only inside `body`.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
