import Logging
import SwitchboardJSON

/// Hands one recorded event to one plugin's `handle_event` (the `event.deliver` job).
///
/// The plugin gets the envelope of docs/plugin-abi.md: the event as recorded, plus `attempt` (2 and up on a retry,
/// when the plugin may have seen it before). A `message.received` is completed here with the message, its details
/// (inbound media fetched and stored first), the contact and the conversation as they are now. A plugin that fails
/// the event is retried alone, with backoff; after the last attempt the job goes to the dead-letter list with the
/// plugin named, and the plugin's next event of that contact follows.
struct EventDelivery {
    let services: HostServices
    let logger: Logger

    func deliver(_ job: ClaimedJob, to pluginID: String, tenant: Tenant) async -> JobRunner.Outcome {
        guard let eventID = job.record.payload["event_id"]?.stringValue else { return .failed("no event_id in the payload", permanent: true) }
        guard let instance = tenant.instance(of: pluginID) else {
            // A plugin taken out of the manifest has nothing left to deliver to; one that failed to start may come back.
            if !tenant.manifest.plugins.contains(where: { $0.id == pluginID }) {
                logger.info("event dropped: the tenant no longer runs the plugin", metadata: ["plugin": "\(pluginID)", "event": "\(eventID)"])
                return .succeeded
            }
            return .failed("plugin \(pluginID) is not running for tenant \(tenant.slug)", permanent: false)
        }
        let envelope: JSON?
        do {
            envelope = try await Self.envelope(eventID: eventID, attempt: job.attempt, tenant: tenant, services: services)
        } catch {
            return .failed("event \(eventID) could not be prepared: \(error)", permanent: false)
        }
        // An event erased with its contact (GDPR) has nothing left to deliver.
        guard let envelope else { return .succeeded }
        let result = await instance.call(.handleEvent, envelope)
        return result.ok ? .succeeded : .failed("\(pluginID): \(result.errorMessage)", permanent: false)
    }

    /// The event as the plugin receives it; nil when it is no longer kept.
    static func envelope(eventID: String, attempt: Int, tenant: Tenant, services: HostServices) async throws -> JSON? {
        guard let stored = try await services.database.perform({ try services.events.find(tenantID: tenant.slug, id: eventID) }) else {
            return nil
        }
        let event = stored.event
        var envelope = event.json.objectValue ?? [:]
        envelope["attempt"] = .number(Double(attempt))
        if event.type == EventCatalogue.messageReceived, let messageID = event.data["message_id"]?.stringValue {
            envelope["data"] = try await received(event, messageID: messageID, tenant: tenant, services: services)
        }
        return .object(envelope)
    }

    /// `message.received`'s data: as recorded, plus the message, its details (media fetched first), the contact and
    /// the conversation as they are now.
    private static func received(_ event: TenantEvent, messageID: String, tenant: Tenant, services: HostServices) async throws -> JSON {
        var data = event.data.objectValue ?? [:]
        guard let row = try await services.database.perform({
            try services.database.read {
                try $0.query("SELECT * FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenant.slug), .text(messageID)]).first
            }
        }) else { return .object(data) }
        let message = Message(row: row)
        var details: JSON = .object([:])
        if let text = row.string("variables") { details = try JSON.parse(text) }
        details = try await MediaFetcher(services: services).attach(messageID: messageID, channel: message.channel, details: details, tenant: tenant)
        let (contact, conversation) = try await services.database.perform {
            (try services.contacts.find(tenantID: tenant.slug, .id(message.contactID)),
             try message.conversationID.flatMap { try services.conversations.find(tenantID: tenant.slug, id: $0) })
        }
        data["message"] = try JSON(encoding: message)
        data["details"] = details
        data["contact"] = try contact.map { try JSON(encoding: $0) } ?? .null
        data["conversation"] = try conversation.map { try JSON(encoding: $0) } ?? .null
        return .object(data)
    }
}
