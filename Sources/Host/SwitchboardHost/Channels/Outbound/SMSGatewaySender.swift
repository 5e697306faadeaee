import SwitchboardJSON

/// A generic SMS gateway (the `sms` channel with an `api_url`): `POST {api_url}` `{"to", "from", "text"}`
/// as JSON with `Authorization: Bearer <api_token>`, answered with `{"id": …}`.
struct SMSGatewaySender: ChannelSender {
    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String {
        var body: [String: JSON] = ["to": .string(envelope.to), "text": .string(envelope.renderedText)]
        if let from = config["from"] { body["from"] = .string(from) }
        var headers = ["Content-Type": "application/json"]
        if config["api_token"] != nil { headers["Authorization"] = "Bearer \(try config.secret("api_token"))" }
        let response = try await http.providerCall(.init(
            method: "POST", url: config["api_url"] ?? "", headers: headers, body: try JSON.object(body).serializedBytes()))
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        guard response.status < 400 else {
            throw DeliveryError.permanent(
                code: reply["code"].map(ConditionEvaluator.text) ?? String(response.status),
                message: reply["error"]?.stringValue ?? reply["message"]?.stringValue ?? "HTTP \(response.status)")
        }
        guard let id = reply["id"].map(ConditionEvaluator.text), !id.isEmpty else {
            throw DeliveryError.transient("the SMS gateway answered without an id")
        }
        return id
    }
}
