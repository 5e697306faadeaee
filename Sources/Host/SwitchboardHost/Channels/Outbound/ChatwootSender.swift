import SwitchboardJSON

/// Replies through Chatwoot, for tenants that keep Chatwoot as their agents' inbox (seed 000):
/// `POST …/conversations/{thread}/messages` `{"content", "message_type": "outgoing"}` into the Chatwoot
/// conversation the contact wrote in. Returns the Chatwoot message id.
struct ChatwootSender: ChannelSender {
    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String {
        guard let conversation = envelope.threadKey else {
            throw DeliveryError.permanent(code: "no_conversation", message: "the conversation has no Chatwoot conversation to reply in")
        }
        let reply = try await ChatwootAPI(config: config, http: http).call(
            "POST", "/conversations/\(FormEncoding.escape(conversation))/messages",
            ["content": .string(envelope.renderedText), "message_type": "outgoing"])
        guard let id = reply["id"].map(ConditionEvaluator.text), !id.isEmpty else {
            throw DeliveryError.transient("Chatwoot answered without a message id")
        }
        return id
    }
}
