import SwitchboardJSON

/// Hands a committed inbound message to the tenant's automation rules and plugins.
/// It runs as the `message.dispatch` job, so slow plugin work never holds a webhook response,
/// and a failure is retried.
public struct InboundDispatcher: Sendable {
    public static let jobKind = "message.dispatch"
    public let services: HostServices

    /// Runs the dispatch for one stored message. Throws when a plugin fails, so the job is retried.
    public func dispatch(messageID: String, conversationCreated: Bool, tenant: Tenant) throws {
        guard let row = try services.database.read({
            try $0.query("SELECT * FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenant.slug), .text(messageID)]).first
        }) else { return }
        let message = Message(row: row)
        let contact = try services.contacts.find(tenantID: tenant.slug, .id(message.contactID))
        let conversation = try message.conversationID.flatMap { try services.conversations.find(tenantID: tenant.slug, id: $0) }

        if conversationCreated {
            tenant.automation.handle(.init(event: "conversation_created", contactID: message.contactID, conversationID: message.conversationID), tenant: tenant)
        }
        tenant.automation.handle(
            .init(event: "message_created", contactID: message.contactID, conversationID: message.conversationID,
                  messageContent: message.content, messageDirection: message.direction, messageID: message.id),
            tenant: tenant)

        var details: JSON = .object([:])
        if let text = row.string("variables"), let parsed = try? JSON.parse(text) { details = parsed }
        details = try MediaFetcher(services: services).attach(messageID: messageID, channel: message.channel, details: details, tenant: tenant)
        let event = TenantEvent(
            tenantID: tenant.slug, type: "message.received",
            data: [
                "message": try JSON(encoding: message), "details": details,
                "contact": try contact.map { try JSON(encoding: $0) } ?? .null,
                "conversation": try conversation.map { try JSON(encoding: $0) } ?? .null,
                "conversation_created": .bool(conversationCreated),
            ],
            source: nil)
        var failures: [String] = []
        for instance in tenant.instances where instance.plugin.capabilities.contains(.flows) {
            let result = instance.handleEvent(event.json)
            if !result.ok { failures.append("\(instance.plugin.id): \(result.errorMessage)") }
        }
        services.events.publish(event, toPlugins: false)
        if !failures.isEmpty { throw DispatchError(failures: failures) }
    }

    struct DispatchError: Error, CustomStringConvertible {
        let failures: [String]
        var description: String { "plugins failed the message: " + failures.joined(separator: "; ") }
    }
}
