import SwitchboardJSON

/// A contact of one tenant, with its custom attributes and labels.
public struct Contact: Codable, Sendable {
    public var id: String
    public var name: String?
    public var phone: String?
    public var email: String?
    public var attributes: [String: JSON]
    public var labels: [String]
    public var createdAt: Int64
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, phone, email, attributes, labels
        case createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// Tenant-scoped access to contacts. Every query is filtered by `tenantID`. Every change records its event
/// (`contact.created`, `contact.updated`, `contact.deleted`) in its own transaction.
public struct ContactStore: Sendable {
    public let database: Database
    /// Where contact changes schedule their Chatwoot sync.
    public let jobs: JobStore
    let events: EventLog
    let audit: AuditLog

    public enum Selector: Sendable {
        case id(String), phone(String), email(String)
    }

    public func find(tenantID: String, _ selector: Selector) throws -> Contact? {
        try database.read { try find(tenantID: tenantID, selector, in: $0) }
    }

    func find(tenantID: String, _ selector: Selector, in connection: SQLConnection) throws -> Contact? {
        let (column, value): (String, String) =
            switch selector {
            case .id(let id): ("id", id)
            case .phone(let phone): ("phone", phone)
            case .email(let email): ("email", email.lowercased())
            }
        guard let row = try connection.query(
            "SELECT * FROM contacts WHERE tenant_id = $1 AND \(column) = $2", [.text(tenantID), .text(value)]
        ).first else { return nil }
        let labels = try connection.query(
            "SELECT label FROM contact_labels WHERE tenant_id = $1 AND contact_id = $2 ORDER BY label",
            [.text(tenantID), .text(row.string("id") ?? "")]
        ).compactMap { $0.string("label") }
        return Contact(
            id: row.string("id") ?? "", name: row.string("name"), phone: row.string("phone"),
            email: row.string("email"),
            attributes: (try? JSON.parse(row.string("attributes") ?? "{}").objectValue) ?? [:],
            labels: labels, createdAt: row.int("created_at") ?? 0, updatedAt: row.int("updated_at") ?? 0)
    }

    /// Contacts newest first, filtered by label, attribute values and a text search, one page at a time.
    public func list(tenantID: String, label: String?, attributes: [String: String], search: String?, page: PageRequest) throws -> Page<Contact> {
        var sql = "SELECT * FROM contacts WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        if let label {
            parameters.append(.text(label))
            sql += " AND id IN (SELECT contact_id FROM contact_labels WHERE tenant_id = $1 AND label = $\(parameters.count))"
        }
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            parameters.append(.text(name))
            let nameIndex = parameters.count
            parameters.append(.text(value))
            sql += " AND \(database.dialect.jsonText("attributes", field: nameIndex)) = $\(parameters.count)"
        }
        if let search, !search.isEmpty {
            parameters.append(.text("%\(search.lowercased())%"))
            let index = parameters.count
            sql += " AND (LOWER(COALESCE(name, '')) LIKE $\(index) OR LOWER(COALESCE(email, '')) LIKE $\(index) OR COALESCE(phone, '') LIKE $\(index))"
        }
        return try database.read { connection in
            try page.fetch(sql: sql, parameters: parameters, in: connection) { row in
                try find(tenantID: tenantID, .id(row.string("id") ?? ""), in: connection)!
            }
        }
    }

    /// Deletes a contact with its labels; returns whether it existed.
    public func delete(tenantID: String, id: String, actor: Actor = .system) throws -> Bool {
        try database.transaction { try delete(tenantID: tenantID, id: id, actor: actor, in: $0) }
    }

    /// Deletes a contact with its labels and its recorded events (they hold copies of its data) inside the caller's
    /// transaction; `contact.deleted` carries only its id. Deliveries of the deleted events still due find nothing to
    /// deliver.
    func delete(tenantID: String, id: String, actor: Actor, in connection: SQLConnection) throws -> Bool {
        try connection.execute("DELETE FROM contact_labels WHERE tenant_id = $1 AND contact_id = $2", [.text(tenantID), .text(id)])
        guard try connection.execute("DELETE FROM contacts WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]) > 0 else {
            return false
        }
        try connection.execute("DELETE FROM events WHERE tenant_id = $1 AND contact_id = $2", [.text(tenantID), .text(id)])
        try events.record(EventDraft(EventCatalogue.contactDeleted, data: ["contact_id": .string(id)]), tenantID: tenantID, actor: actor, in: connection)
        return true
    }

    /// Sets the name, phone or email of a contact.
    public func updateFields(tenantID: String, id: String, name: String??, phone: String??, email: String??, actor: Actor = .system) throws -> Contact? {
        try database.transaction { connection in
            try updateFields(tenantID: tenantID, id: id, name: name, phone: phone, email: email, actor: actor, in: connection)
        }
    }

    /// `updateFields` inside the caller's transaction; a change records `contact.updated`.
    func updateFields(
        tenantID: String, id: String, name: String??, phone: String??, email: String??, actor: Actor, in connection: SQLConnection
    ) throws -> Contact? {
        guard let contact = try find(tenantID: tenantID, .id(id), in: connection) else { return nil }
        try connection.execute(
            "UPDATE contacts SET name = $3, phone = $4, email = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
            [.text(tenantID), .text(id), .text(name ?? contact.name), .text(phone ?? contact.phone),
             .text((email ?? contact.email)?.lowercased()), .integer(Clock.nowMillis())])
        let updated = try find(tenantID: tenantID, .id(id), in: connection)!
        var changes = Changes()
        changes.note("name", contact.name, updated.name)
        changes.note("phone", contact.phone, updated.phone)
        changes.note("email", contact.email, updated.email)
        try recordUpdate(updated, changes, tenantID: tenantID, actor: actor, in: connection)
        return updated
    }

    /// Creates a contact.
    public func create(
        tenantID: String, name: String?, phone: String?, email: String?, attributes: [String: JSON] = [:], actor: Actor = .system
    ) throws -> Contact {
        try database.transaction { connection in
            try create(tenantID: tenantID, name: name, phone: phone, email: email, attributes: attributes, actor: actor, in: connection)
        }
    }

    /// Creates a contact inside the caller's transaction and records `contact.created`.
    func create(
        tenantID: String, name: String?, phone: String?, email: String?, attributes: [String: JSON], actor: Actor, in connection: SQLConnection
    ) throws -> Contact {
        let id = Identifier.make()
        let now = Clock.nowMillis()
        try connection.execute(
            """
            INSERT INTO contacts (tenant_id, id, name, phone, email, attributes, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
            """,
            [.text(tenantID), .text(id), .text(name), .text(phone), .text(email?.lowercased()),
             .text(try JSON.object(attributes).serialized()), .integer(now)])
        let contact = try find(tenantID: tenantID, .id(id), in: connection)!
        try events.record(
            EventDraft(EventCatalogue.contactCreated, data: ["contact": try JSON(encoding: contact)], contactID: id),
            tenantID: tenantID, actor: actor, in: connection)
        return contact
    }

    /// Merges attributes (a `null` value removes one) and adds or removes labels, in one transaction.
    /// A contact linked to Chatwoot gets a sync of the change queued with it.
    public func update(
        tenantID: String, id: String, attributes: [String: JSON] = [:], addLabels: [String] = [], removeLabels: [String] = [],
        actor: Actor = .system
    ) throws -> Contact? {
        try database.transaction { connection in
            try update(
                tenantID: tenantID, id: id, attributes: attributes, addLabels: addLabels, removeLabels: removeLabels, actor: actor,
                in: connection)
        }
    }

    /// `update` inside the caller's transaction. A change records `contact.updated`; a change of `consent_status` to
    /// `revoked` also stops the contact's queued bot and marketing messages (`OptOut`).
    func update(
        tenantID: String, id: String, attributes: [String: JSON], addLabels: [String], removeLabels: [String], actor: Actor,
        in connection: SQLConnection
    ) throws -> Contact? {
        let now = Clock.nowMillis()
        _ = try connection.query("SELECT id FROM contacts WHERE tenant_id = $1 AND id = $2" + database.dialect.forUpdate, [.text(tenantID), .text(id)])
        guard var contact = try find(tenantID: tenantID, .id(id), in: connection) else { return nil }
        let before = contact
        if !attributes.isEmpty {
            for (key, value) in attributes {
                contact.attributes[key] = value == .null ? nil : value
            }
            try connection.execute(
                "UPDATE contacts SET attributes = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                [.text(tenantID), .text(id), .text(try JSON.object(contact.attributes).serialized()), .integer(now)])
        }
        for label in addLabels {
            _ = try connection.execute(
                """
                INSERT INTO contact_labels (tenant_id, contact_id, label, created_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (tenant_id, contact_id, label) DO NOTHING
                """,
                [.text(tenantID), .text(id), .text(label), .integer(now)])
        }
        for label in removeLabels {
            _ = try connection.execute(
                "DELETE FROM contact_labels WHERE tenant_id = $1 AND contact_id = $2 AND label = $3",
                [.text(tenantID), .text(id), .text(label)])
        }
        guard let updated = try find(tenantID: tenantID, .id(id), in: connection) else { return nil }
        var changes = Changes()
        changes.noteAttributes(before.attributes, updated.attributes)
        let added = updated.labels.filter { !before.labels.contains($0) }, removed = before.labels.filter { !updated.labels.contains($0) }
        if !added.isEmpty { changes.set("labels_added", .array(added.map(JSON.string))) }
        if !removed.isEmpty { changes.set("labels_removed", .array(removed.map(JSON.string))) }
        let consent = Self.consent(before), newConsent = Self.consent(updated)
        if consent != newConsent, let newConsent { changes.set("consent", .string(newConsent)) }
        if !changes.isEmpty { try ChatwootSync.schedule(updated, tenantID: tenantID, jobs: jobs, in: connection) }
        try recordUpdate(updated, changes, tenantID: tenantID, actor: actor, in: connection)
        if newConsent == "revoked", consent != "revoked" {
            try OptOut(events: events, audit: audit).stopQueuedSends(tenantID: tenantID, contactID: id, actor: actor, in: connection)
        }
        return updated
    }

    /// `granted` or `revoked` from the `consent_status` attribute, or nil when it says neither.
    static func consent(_ contact: Contact) -> String? {
        guard let status = contact.attributes["consent_status"]?.stringValue, ["granted", "revoked"].contains(status) else { return nil }
        return status
    }

    /// Records `contact.updated` with what changed; nothing when nothing did.
    private func recordUpdate(_ contact: Contact, _ changes: Changes, tenantID: String, actor: Actor, in connection: SQLConnection) throws {
        guard !changes.isEmpty else { return }
        try events.record(
            EventDraft(
                EventCatalogue.contactUpdated,
                data: ["contact_id": .string(contact.id), "changes": changes.json, "contact": try JSON(encoding: contact)],
                contactID: contact.id),
            tenantID: tenantID, actor: actor, in: connection)
    }
}
