import Foundation

@testable import SwitchboardHost

/// The PostgreSQL server the tests use: `SWITCHBOARD_TEST_POSTGRES_URL`, which `make test` sets
/// after starting a throwaway server. Each test gets a schema of its own on it.
enum PostgresTestServer {
    /// Why a PostgreSQL test cannot run; it fails rather than skips.
    struct Unavailable: Error, CustomStringConvertible {
        let description =
            "SWITCHBOARD_TEST_POSTGRES_URL is not set, so the PostgreSQL tests cannot run: "
            + "run `make test`, which starts a throwaway server (scripts/with-postgres.sh swift test does the same)"
    }

    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw Unavailable()
        }
        return url
    }

    /// Runs `body` with the URL of a new, empty schema, which is dropped afterwards.
    static func withSchema<T>(_ body: (_ url: String) async throws -> T) async throws -> T {
        let server = try url()
        let schema = "test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try PostgresDatabase(url: server, poolSize: 1)
        try admin.transaction { try $0.execute("CREATE SCHEMA \(schema)") }
        defer { _ = try? admin.transaction { try $0.execute("DROP SCHEMA \(schema) CASCADE") } }
        let separator = server.contains("?") ? "&" : "?"
        return try await body("\(server)\(separator)options=-csearch_path%3D\(schema)")
    }
}
