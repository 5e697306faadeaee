import SwitchboardJSON

/// Email through Microsoft Graph, from the `outlook` channel's mailbox. A reply in a thread answers the
/// contact's last message (`POST /users/{mailbox}/messages/{id}/reply`), so Outlook threads it; anything
/// else, or a reply whose message is gone, is a new mail (`POST /users/{mailbox}/sendMail`). Graph answers
/// 202 with no id, so the provider id is made here.
struct GraphMailSender: ChannelSender {
    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String {
        let graph = GraphAPI(config: config, http: http)
        let content = envelope.html ?? envelope.renderedText
        if envelope.threadKey != nil, let original = envelope.inReplyTo {
            let response = try await graph.call(
                "POST", "/users/\(graph.mailbox)/messages/\(GraphAPI.segment(original))/reply", body: ["comment": .string(content)])
            if response.status < 400 { return Self.providerID(envelope) }
            guard response.status == 404 else { throw GraphAPI.failure(response) }
        }
        let response = try await graph.call("POST", "/users/\(graph.mailbox)/sendMail", body: Self.sendMailBody(envelope))
        guard response.status < 400 else { throw GraphAPI.failure(response) }
        return Self.providerID(envelope)
    }

    /// The `sendMail` request body.
    static func sendMailBody(_ envelope: OutboundEnvelope) -> JSON {
        var message: [String: JSON] = [
            "subject": .string(envelope.subject ?? ""),
            "body": ["contentType": envelope.html == nil ? "Text" : "HTML", "content": .string(envelope.html ?? envelope.renderedText)],
            "toRecipients": [["emailAddress": ["address": .string(envelope.to)]]],
        ]
        if !envelope.attachments.isEmpty {
            message["attachments"] = .array(envelope.attachments.map {
                ["@odata.type": "#microsoft.graph.fileAttachment", "name": .string($0.filename), "contentType": .string($0.contentType),
                 "contentBytes": .string($0.contentBase64)]
            })
        }
        return ["message": .object(message), "saveToSentItems": true]
    }

    static func providerID(_ envelope: OutboundEnvelope) -> String { "graph-\(envelope.messageID)" }
}
