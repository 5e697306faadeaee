import SwitchboardJSON

/// `chatwoot.sync_contact`: writes a contact's labels and custom attributes back to its Chatwoot contact,
/// so a tenant that keeps Chatwoot as its agents' UI sees what bots and rules decided (seed 000). Every
/// change to a contact linked to Chatwoot queues one; a burst of changes shares one pending run, which
/// reads the contact as it is by then.
public struct ChatwootSync: Sendable {
    public static let jobKind = "chatwoot.sync_contact"
    /// The contact attribute holding the Chatwoot contact id, set when the contact writes in through Chatwoot.
    public static let contactAttribute = "chatwoot_contact_id"

    public init() {}

    /// Payload: `{"contact_id": …}`. `POST …/contacts/{id}/labels` replaces Chatwoot's label set;
    /// `PUT …/contacts/{id}` sets `custom_attributes`.
    public func run(payload: JSON, tenant: Tenant, services: HostServices) async throws {
        guard let config = tenant.manifest.channels["chatwoot"], let contactID = payload["contact_id"]?.stringValue,
            let contact = try await services.database.perform({ try services.contacts.find(tenantID: tenant.slug, .id(contactID)) }),
            let chatwootID = contact.attributes[Self.contactAttribute].map(ConditionEvaluator.text)
        else { return }
        let api = ChatwootAPI(config: config, http: services.http)
        let path = "/contacts/\(FormEncoding.escape(chatwootID))"
        _ = try await api.call("POST", "\(path)/labels", ["labels": .array(contact.labels.map(JSON.string))])
        var attributes = contact.attributes
        attributes[Self.contactAttribute] = nil
        _ = try await api.call("PUT", path, ["custom_attributes": .object(attributes)])
    }

    /// Queues a sync of a contact linked to Chatwoot, inside the caller's transaction; other contacts are left alone.
    static func schedule(_ contact: Contact, tenantID: String, jobs: JobStore, in connection: SQLConnection) throws {
        guard contact.attributes[contactAttribute] != nil else { return }
        _ = try jobs.schedule(
            tenantID: tenantID, pluginID: nil, kind: jobKind, runAt: Clock.nowMillis(), payload: ["contact_id": .string(contact.id)],
            uniqueKey: "\(jobKind):\(contact.id)", maxAttempts: 8, in: connection)
    }
}
