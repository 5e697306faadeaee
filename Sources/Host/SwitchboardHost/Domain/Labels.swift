/// A tenant's label catalogue: name, colour and description. Contacts carry labels by name.
public struct Label: Codable, Sendable {
    public var name: String
    public var color: String
    public var description: String?
    public var count: Int?
}

public struct LabelStore: Sendable {
    public let database: Database

    /// Every label in the catalogue or in use, with how many contacts carry it.
    public func list(tenantID: String) throws -> [Label] {
        try database.read { connection in
            let defined = try connection.query("SELECT * FROM labels WHERE tenant_id = $1 ORDER BY name", [.text(tenantID)])
            let counts = try connection.query(
                "SELECT label, COUNT(*) AS n FROM contact_labels WHERE tenant_id = $1 GROUP BY label", [.text(tenantID)])
            var byName: [String: Label] = [:]
            for row in defined {
                let name = row.string("name") ?? ""
                byName[name] = Label(name: name, color: row.string("color") ?? "#6b7280", description: row.string("description"), count: 0)
            }
            for row in counts {
                let name = row.string("label") ?? ""
                byName[name, default: Label(name: name, color: "#6b7280", description: nil, count: 0)].count = Int(row.int("n") ?? 0)
            }
            return byName.values.sorted { $0.name < $1.name }
        }
    }

    /// Creates or updates a catalogue label.
    public func upsert(tenantID: String, label: Label) throws {
        try database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO labels (tenant_id, name, color, description, created_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (tenant_id, name) DO UPDATE SET color = excluded.color, description = excluded.description
                """,
                [.text(tenantID), .text(label.name), .text(label.color), .text(label.description), .integer(Clock.nowMillis())])
        }
    }

    /// Removes a label from the catalogue and from every contact; returns whether it existed anywhere.
    public func delete(tenantID: String, name: String) throws -> Bool {
        try database.transaction { connection in
            let a = try connection.execute("DELETE FROM labels WHERE tenant_id = $1 AND name = $2", [.text(tenantID), .text(name)])
            let b = try connection.execute("DELETE FROM contact_labels WHERE tenant_id = $1 AND label = $2", [.text(tenantID), .text(name)])
            return a + b > 0
        }
    }
}
