import SwitchboardJSON

/// Chatwoot's application API for one tenant's `chatwoot` channel: `{base_url}/api/v1/accounts/{account_id}`
/// with the `api_access_token` header.
struct ChatwootAPI {
    let config: ChannelConfig
    let http: HTTPClient

    /// Sends a JSON request to a path under the account and returns the JSON answer. 4xx answers are permanent.
    func call(_ method: String, _ path: String, _ body: JSON) async throws -> JSON {
        var base = config["base_url"] ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        let response = try await http.providerCall(.init(
            method: method, url: "\(base)/api/v1/accounts/\(config["account_id"] ?? "")\(path)",
            headers: ["api_access_token": try config.secret("api_token"), "Content-Type": "application/json"],
            body: try body.serializedBytes()))
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        guard response.status < 400 else {
            let message = reply["message"]?.stringValue ?? reply["error"]?.stringValue ?? "Chatwoot answered HTTP \(response.status)"
            throw DeliveryError.permanent(code: String(response.status), message: message)
        }
        return reply
    }
}
