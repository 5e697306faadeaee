import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// The tests that start `switchboard serve` processes, one at a time: each loads both cores on its own.
@Suite(.serialized) enum ScaleOutTests {}

/// What the scale-out tests share: a sandbox tenant whose rule answers every inbound message once,
/// `switchboard serve` processes on one database, and counts read straight from that database.
enum HostProcessFleet {
    static let slug = "scale"
    static let adminToken = "scale-admin-token"

    /// A sandbox tenant at `localhost` whose `message_created` rule replies "Thanks" to each inbound message.
    static let manifest = SwitchboardHostTests.manifest(slug: slug, domain: "localhost", channels: "  sandbox: {}") + """

        automation_rules:
          - name: auto_reply
            event: message_created
            conditions:
              - {field: message_direction, operator: equal_to, value: inbound}
            actions:
              - send_message: {text: Thanks}
        """

    /// An in-process host that writes the tenants directory and brings the schema and the tenant up to date
    /// before any process starts, on PostgreSQL at `postgresURL` or else on a SQLite file; the test reads counts
    /// and creates tokens through it.
    static func setUp(postgresURL: String? = nil) throws -> SwitchboardHost {
        try TestEnvironment.host(manifests: [slug: manifest], adminToken: adminToken, configure: { configuration in
            if let postgresURL { configuration.database = .postgres(url: postgresURL) }
        })
    }

    /// Starts `switchboard serve` on the setup host's database, tenants and plugins, with a short tenant sync and job lease.
    static func start(like setup: SwitchboardHost) async throws -> HostProcess {
        let configuration = setup.configuration
        let databaseURL =
            switch configuration.database {
            case .postgres(let url): url
            case .sqlite(let path): "sqlite://\(path)"
            }
        return try await HostProcess(environment: [
            "SWITCHBOARD_DATABASE_URL": databaseURL,
            "SWITCHBOARD_TENANTS_DIR": configuration.tenantsDirectory ?? "",
            "SWITCHBOARD_PLUGINS_DIR": configuration.pluginsDirectory,
            "SWITCHBOARD_DATA_DIR": configuration.dataDirectory,
            "SWITCHBOARD_ADMIN_TOKEN": adminToken,
            "SWITCHBOARD_TENANT_SYNC_INTERVAL_MS": "100",
            "SWITCHBOARD_JOB_LEASE_MS": "2000",
        ])
    }

    /// Sandbox message number `number`: provider message id `msg-<number>`, from a sender of its own
    /// (so one contact and one conversation per message).
    static func webhook(_ number: Int, to host: HostProcess) async throws -> APIClient.Reply {
        let sender = "+3161" + String(format: "%07d", number)
        return try await host.send(
            .post, "/webhooks/sandbox", json: ["from": .string(sender), "text": .string("Hello \(number)"), "id": .string("msg-\(number)")])
    }

    /// Counts of the tenant's rows: inbound and outbound messages, and rule jobs done (one per message it received).
    struct Counts: Equatable, CustomStringConvertible {
        var inbound = 0, outbound = 0, dispatched = 0, pendingJobs = 0
        var description: String { "inbound \(inbound), outbound \(outbound), dispatched \(dispatched), pending jobs \(pendingJobs)" }
    }

    static func counts(_ database: Database) throws -> Counts {
        try database.read { connection in
            func count(_ sql: String) throws -> Int {
                Int(try connection.query(sql, [.text(slug)]).first?.int("n") ?? -1)
            }
            return Counts(
                inbound: try count("SELECT COUNT(*) AS n FROM messages WHERE tenant_id = $1 AND direction = 'inbound'"),
                outbound: try count("SELECT COUNT(*) AS n FROM messages WHERE tenant_id = $1 AND direction = 'outbound' AND status = 'sent'"),
                dispatched: try count("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = $1 AND kind = 'event.rules' AND status = 'done'"),
                pendingJobs: try count("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = $1 AND status IN ('pending', 'running')"))
        }
    }

    /// Waits (up to 20 seconds) until no job is pending or running and `done` holds for the counts; returns the last counts.
    static func settle(_ database: Database, until done: (Counts) -> Bool) async throws -> Counts {
        var last = Counts()
        for _ in 0..<200 {
            last = try await offloaded { try counts(database) }
            if last.pendingJobs == 0 && done(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    /// Waits (up to 10 seconds) until `count` event relays listen on this database schema's channel.
    static func waitForListeners(_ count: Int, on database: Database) async throws -> Bool {
        for _ in 0..<100 {
            let listening = try await offloaded {
                try database.read {
                    try $0.query(
                        """
                        SELECT COUNT(*) AS n FROM pg_stat_activity
                        WHERE query = 'LISTEN "switchboard.' || current_schema() || '"'
                        """
                    ).first?.int("n")
                }
            }
            if listening == Int64(count) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Replies per conversation: every conversation should have exactly one.
    static func repliesPerConversation(_ database: Database) throws -> [String: Int] {
        let rows = try database.read {
            try $0.query(
                """
                SELECT conversation_id, COUNT(*) AS n FROM messages
                WHERE tenant_id = $1 AND direction = 'outbound' GROUP BY conversation_id
                """, [.text(slug)])
        }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.string("conversation_id") ?? "", Int($0.int("n") ?? 0)) })
    }
}
