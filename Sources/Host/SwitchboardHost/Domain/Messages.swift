import SwitchboardJSON

/// Stored messages of a tenant, inbound and outbound.
public struct MessageStore: Sendable {
    public let database: Database

    /// An outbound message request, as the plugin host API and automation rules make it.
    public struct SendRequest: Decodable, Sendable {
        public var contactID: String
        public var channel: String?
        public var type: String
        public var text: String?
        public var templateName: String?
        public var variables: [String: JSON]?

        enum CodingKeys: String, CodingKey {
            case contactID = "contact_id", channel, type, text, templateName = "template_name", variables
        }
    }

    public struct Stored: Encodable, Sendable {
        public let messageID: String
        public let status: String
        public let channel: String
        enum CodingKeys: String, CodingKey { case messageID = "message_id", status, channel }
    }

    /// Stores an outbound message. The sandbox channel delivers by storing, so it is `sent` at once.
    public func storeOutbound(tenantID: String, request: SendRequest, sentBy: String) throws -> Stored {
        let id = Identifier.make()
        let now = Clock.nowMillis()
        let channel = request.channel ?? "sandbox"
        try database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO messages (tenant_id, id, contact_id, direction, channel, type, content, template_name, variables,
                                      status, sent_by, created_at, updated_at)
                VALUES ($1, $2, $3, 'outbound', $4, $5, $6, $7, $8, 'sent', $9, $10, $10)
                """,
                [.text(tenantID), .text(id), .text(request.contactID), .text(channel), .text(request.type),
                 .text(request.text), .text(request.templateName),
                 .text(try request.variables.map { try JSON.object($0).serialized() }), .text(sentBy), .integer(now)])
        }
        return Stored(messageID: id, status: "sent", channel: channel)
    }

    /// Messages of one contact, oldest first.
    public func messages(tenantID: String, contactID: String) throws -> [Row] {
        try database.read {
            try $0.query(
                "SELECT * FROM messages WHERE tenant_id = $1 AND contact_id = $2 ORDER BY created_at, id",
                [.text(tenantID), .text(contactID)])
        }
    }
}
