import Testing

@testable import SwitchboardHost

/// The storage drivers the conformance tests run against.
enum StorageDriver: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, migrated database of this driver.
    func withDatabase(_ body: (Database) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let path = try TestEnvironment.temporaryDirectory().appendingPathComponent("test.sqlite").path
            try await body(try DatabaseLocation.sqlite(path: path).open())
        case .postgres:
            try await PostgresTestServer.withSchema { url in
                try await body(try DatabaseLocation.postgres(url: url).open())
            }
        }
    }

    /// Every table with its first column.
    func firstColumns(_ database: Database) throws -> [String: String] {
        let sql =
            switch self {
            case .sqlite:
                """
                SELECT m.name AS table_name, c.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) c
                WHERE m.type = 'table' AND c.cid = 0
                """
            case .postgres:
                """
                SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND ordinal_position = 1
                """
            }
        return try pairs(database, sql, "table_name", "column_name")
    }

    /// Every table with the first column of its primary key.
    func primaryKeys(_ database: Database) throws -> [String: String] {
        let sql =
            switch self {
            case .sqlite:
                """
                SELECT m.name AS table_name, c.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) c
                WHERE m.type = 'table' AND c.pk = 1
                """
            case .postgres:
                """
                SELECT k.table_name, k.column_name FROM information_schema.table_constraints t
                JOIN information_schema.key_column_usage k
                  ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name
                WHERE t.table_schema = current_schema() AND t.constraint_type = 'PRIMARY KEY' AND k.ordinal_position = 1
                """
            }
        return try pairs(database, sql, "table_name", "column_name")
    }

    /// Every index, primary keys' included, with its first column.
    func indexes(_ database: Database) throws -> [String: String] {
        let sql =
            switch self {
            case .sqlite:
                """
                SELECT m.name AS index_name, i.name AS column_name FROM sqlite_master m, pragma_index_info(m.name) i
                WHERE m.type = 'index' AND i.seqno = 0
                """
            case .postgres:
                """
                SELECT indexname AS index_name,
                       pg_get_indexdef(format('%I.%I', schemaname, indexname)::regclass, 1, true) AS column_name
                FROM pg_indexes WHERE schemaname = current_schema()
                """
            }
        return try pairs(database, sql, "index_name", "column_name")
    }

    private func pairs(_ database: Database, _ sql: String, _ key: String, _ value: String) throws -> [String: String] {
        let rows = try database.read { try $0.query(sql) }
        return Dictionary(rows.map { ($0.string(key) ?? "", $0.string(value) ?? "") }, uniquingKeysWith: { first, _ in first })
    }
}

extension StorageDriver {
    /// A host serving `manifests` on a fresh database of this driver (see `TestEnvironment.host`).
    func withHost(
        manifests: [String: String], configure: @escaping (inout HostConfiguration) -> Void = { _ in },
        _ body: (SwitchboardHost) async throws -> Void
    ) async throws {
        switch self {
        case .sqlite:
            try await body(try TestEnvironment.host(manifests: manifests, configure: configure))
        case .postgres:
            try await PostgresTestServer.withSchema { url in
                try await body(try TestEnvironment.host(manifests: manifests) { configuration in
                    configuration.database = .postgres(url: url)
                    configure(&configuration)
                })
            }
        }
    }
}
