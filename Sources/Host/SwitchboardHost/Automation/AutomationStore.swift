import SwitchboardJSON

/// Stored automation rules: the manifest's (source `manifest`, kept in step with it) and the API's (source `api`).
public struct AutomationStore: Sendable {
    public let database: Database

    public func rules(tenantID: String, event: String? = nil, activeOnly: Bool = false) throws -> [AutomationRule] {
        var sql = "SELECT * FROM automation_rules WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        if let event {
            parameters.append(.text(event))
            sql += " AND event = $2"
        }
        if activeOnly { sql += " AND active = 1" }
        sql += " ORDER BY created_at, id"
        return try database.read { try $0.query(sql, parameters) }.compactMap(Self.rule(from:))
    }

    /// Whether any active rule of the tenant triggers on one of `events` (catalogue names or their older aliases).
    func hasActiveRules(tenantID: String, events: [String], in connection: SQLConnection) throws -> Bool {
        let placeholders = events.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
        return try !connection.query(
            "SELECT 1 FROM automation_rules WHERE tenant_id = $1 AND active = 1 AND event IN (\(placeholders)) LIMIT 1",
            [.text(tenantID)] + events.map { .text($0) }
        ).isEmpty
    }

    public func rule(tenantID: String, id: String) throws -> AutomationRule? {
        try database.read {
            try $0.query("SELECT * FROM automation_rules WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first
        }.flatMap(Self.rule(from:))
    }

    private static func rule(from row: Row) -> AutomationRule? {
        guard let definition = try? JSON.parse(row.string("definition") ?? "") else { return nil }
        let (rule, _) = AutomationRule.parse(definition, path: "", id: row.string("id") ?? "", source: row.string("source") ?? "api")
        return rule
    }

    /// Inserts or replaces a rule.
    public func save(tenantID: String, rule: AutomationRule) throws {
        let now = Clock.nowMillis()
        try database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO automation_rules (tenant_id, id, name, event, definition, active, source, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, event = excluded.event,
                    definition = excluded.definition, active = excluded.active, updated_at = excluded.updated_at
                """,
                [.text(tenantID), .text(rule.id), .text(rule.name), .text(rule.event), .text(try rule.definition.serialized()),
                 .integer(rule.active ? 1 : 0), .text(rule.source), .integer(now)])
        }
    }

    public func delete(tenantID: String, id: String) throws -> Bool {
        try database.transaction {
            try $0.execute("DELETE FROM automation_rules WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]) > 0
        }
    }

    /// Makes the stored manifest rules exactly the manifest's: ids are `manifest:<name>`.
    public func syncManifestRules(tenantID: String, rules: [AutomationRule]) throws {
        for rule in rules { try save(tenantID: tenantID, rule: rule) }
        let keep = Set(rules.map(\.id))
        let stored = try self.rules(tenantID: tenantID).filter { $0.source == "manifest" && !keep.contains($0.id) }
        for rule in stored { _ = try delete(tenantID: tenantID, id: rule.id) }
    }

    /// One logged run of a rule.
    public struct Run: Codable, Sendable {
        public let id: String
        public let ruleID: String
        public let event: String
        public let subject: String?
        public let outcome: String
        public let details: JSON
        public let occurredAt: Int64
        enum CodingKeys: String, CodingKey {
            case id, event, subject, outcome, details
            case ruleID = "rule_id", occurredAt = "occurred_at"
        }
    }

    /// Logs one run of a rule for the event `eventID`.
    public func logRun(
        tenantID: String, ruleID: String, event: String, eventID: String?, subject: String?, outcome: String, details: JSON
    ) throws {
        try database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO automation_runs (tenant_id, id, rule_id, event, subject, outcome, details, occurred_at, event_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                [.text(tenantID), .text(Identifier.make()), .text(ruleID), .text(event), .text(subject), .text(outcome),
                 .text(try details.serialized()), .integer(Clock.nowMillis()), .text(eventID)])
        }
    }

    /// The rules that applied (or failed part-way) for any of `eventIDs`: a rule runs once per event, and once per chain.
    func rulesRun(tenantID: String, eventIDs: [String]) throws -> Set<String> {
        guard !eventIDs.isEmpty else { return [] }
        let placeholders = eventIDs.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
        return try Set(database.read {
            try $0.query(
                "SELECT rule_id FROM automation_runs WHERE tenant_id = $1 AND event_id IN (\(placeholders)) AND outcome IN ('applied', 'failed')",
                [.text(tenantID)] + eventIDs.map { .text($0) })
        }.compactMap { $0.string("rule_id") })
    }

    public func runs(tenantID: String, ruleID: String?, limit: Int = 100) throws -> [Run] {
        var sql = "SELECT * FROM automation_runs WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        if let ruleID {
            parameters.append(.text(ruleID))
            sql += " AND rule_id = $2"
        }
        sql += " ORDER BY occurred_at DESC, id DESC LIMIT \(max(1, min(limit, 500)))"
        return try database.read { try $0.query(sql, parameters) }.map { row in
            Run(
                id: row.string("id") ?? "", ruleID: row.string("rule_id") ?? "", event: row.string("event") ?? "",
                subject: row.string("subject"), outcome: row.string("outcome") ?? "",
                details: (try? JSON.parse(row.string("details") ?? "{}")) ?? .null, occurredAt: row.int("occurred_at") ?? 0)
        }
    }
}
