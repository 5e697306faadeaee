import SwitchboardJSON

/// `outlook.fetch`: reads one new message from Microsoft Graph and ingests it as an email. The Outlook
/// webhook queues it, so the webhook can answer within Graph's 3 seconds; a message already stored
/// (a notification delivered twice) changes nothing.
public struct OutlookFetchJob: Sendable {
    public static let jobKind = "outlook.fetch"
    static let fields = "subject,from,body,hasAttachments,conversationId,internetMessageId,internetMessageHeaders,receivedDateTime"

    public init() {}

    /// Payload: `{"message_id": <Graph message id>}`.
    public func run(payload: JSON, tenant: Tenant, services: HostServices) async throws {
        guard let config = tenant.manifest.channels["outlook"] else { throw ChannelError.notEnabled("outlook") }
        guard let id = payload["message_id"]?.stringValue else { return }
        let graph = GraphAPI(config: config, http: services.http)
        let response = try await graph.call("GET", "/users/\(graph.mailbox)/messages/\(GraphAPI.segment(id))?$select=\(Self.fields)")
        if response.status == 404 { return }  // deleted or moved before it was read
        guard response.status < 400 else { throw GraphAPI.failure(response) }
        guard let message = Self.message(try JSON.parse(bytes: response.body), graphID: id, mailbox: graph.mailbox) else { return }
        _ = try await services.database.perform { try InboundProcessor(services: services).ingest(message, tenant: tenant) }
    }

    /// A Graph message as an inbound email; nil for mail the mailbox sent itself.
    static func message(_ item: JSON, graphID: String, mailbox: String) -> InboundMessage? {
        let sender = item["from"]?["emailAddress"]
        guard let address = sender?["address"]?.stringValue?.lowercased(), address != mailbox.lowercased() else { return nil }
        let body = item["body"]?["content"]?.stringValue ?? ""
        let isHTML = item["body"]?["contentType"]?.stringValue?.lowercased() == "html"
        var details: [String: JSON] = ["subject": item["subject"] ?? .null, "reply_id": .string(graphID)]
        if isHTML { details["html"] = .string(body) }
        if item["hasAttachments"]?.boolValue == true { details["has_attachments"] = true }
        let inReplyTo = (item["internetMessageHeaders"]?.arrayValue ?? [])
            .first { $0["name"]?.stringValue?.lowercased() == "in-reply-to" }?["value"]?.stringValue
        return InboundMessage(
            channel: "email", providerMessageID: item["internetMessageId"]?.stringValue ?? graphID, email: address,
            name: sender?["name"]?.stringValue, type: "email", text: isHTML ? HTMLText.plain(body) : body,
            details: .object(details), threadKey: item["conversationId"]?.stringValue ?? inReplyTo,
            sentAt: item["receivedDateTime"]?.stringValue.flatMap { Clock.millis(rfc3339: $0) })
    }
}
