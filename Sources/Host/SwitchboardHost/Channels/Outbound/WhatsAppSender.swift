import Foundation
import SwitchboardJSON

/// WhatsApp Cloud API: `POST {api_base}/{phone_number_id}/messages` with the access token.
struct WhatsAppSender: ChannelSender {
    static let defaultBase = "https://graph.facebook.com/v21.0"
    /// Graph error codes that no retry will fix (131047: outside the 24-hour window; 132001: no such template; …).
    static let permanentCodes: Set<Int> = [131047, 131026, 131051, 132000, 132001, 132005, 132007, 132012, 133010, 131009, 100, 190, 368]

    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String {
        let token = try config.secret("access_token")
        let base = config["api_base"] ?? Self.defaultBase
        let url = "\(base)/\(config["phone_number_id"] ?? "")/messages"
        let body = try Self.body(envelope).serializedBytes()
        let response = try await http.providerCall(.init(
            method: "POST", url: url,
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: body))
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        if response.status >= 400 {
            let code = Int(reply["error"]?["code"]?.doubleValue ?? 0)
            let message = reply["error"]?["message"]?.stringValue ?? "HTTP \(response.status)"
            if Self.permanentCodes.contains(code) || response.status < 500 {
                throw DeliveryError.permanent(code: String(code), message: message)
            }
            throw DeliveryError.transient(message)
        }
        guard let id = reply["messages"]?.arrayValue?.first?["id"]?.stringValue else {
            throw DeliveryError.transient("the Graph API answered without a message id")
        }
        return id
    }

    /// The Graph API request body for a text, template or interactive message.
    static func body(_ envelope: OutboundEnvelope) -> JSON {
        let to = String(envelope.to.drop { $0 == "+" })
        var message: [String: JSON] = ["messaging_product": "whatsapp", "recipient_type": "individual", "to": .string(to)]
        if envelope.type == "template", let template = envelope.template {
            let parameters: [JSON] = template.variables.map { ["type": "text", "text": .string(envelope.variables[$0] ?? "")] }
            var components: [JSON] = []
            if !parameters.isEmpty { components.append(["type": "body", "parameters": .array(parameters)]) }
            message["type"] = "template"
            message["template"] = [
                "name": .string(template.name),
                "language": ["policy": "deterministic", "code": .string(template.language)],
                "components": .array(components),
            ]
        } else if envelope.type == "interactive", let interactive = envelope.interactive {
            message["type"] = "interactive"
            message["interactive"] = interactive
        } else {
            message["type"] = "text"
            message["text"] = ["preview_url": false, "body": .string(envelope.renderedText)]
        }
        return .object(message)
    }
}
