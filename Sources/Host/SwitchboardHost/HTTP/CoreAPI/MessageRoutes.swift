import Hummingbird
import SwitchboardJSON

/// `POST /api/v1/messages/send`: the one outbound path, through the policy.
struct MessageRoutes {
    static let fields: Set<String> = [
        "contact_id", "channel", "type", "text", "template_name", "language", "variables", "interactive", "category", "send_at",
    ]

    func register(_ api: APIRoutes) {
        api.add(.post, "/api/v1/messages/send", "Send a message through the policy: consent, 24-hour window or approved template, quiet hours",
                tag: "messages", permission: "messages:send", request: "SendInput", response: "SendResult", status: 202) { request, context in
            var body = try await JSONBody.read(request, context, allowed: Self.fields)
            _ = body.string("contact_id", required: true, maxLength: 64)
            _ = body.string("channel", oneOf: ["sandbox", "whatsapp", "sms", "email", "chatwoot"])
            let type = body.string("type", required: true, oneOf: ["session_text", "template", "interactive"])
            _ = body.string("text", maxLength: 4096)
            if type == "template" { _ = body.string("template_name", required: true, maxLength: 100) }
            _ = body.string("category", oneOf: ["marketing", "utility", "service", "authentication"])
            _ = body.objectField("variables")
            _ = body.integer("send_at", range: 0...9_999_999_999_999)
            try body.finish()
            let sendRequest: Outbound.Request
            do {
                sendRequest = try JSON.object(body.object).decode(as: Outbound.Request.self)
            } catch {
                throw Problem(status: .unprocessableContent, title: "Validation failed", detail: "The message is malformed: \(error)")
            }
            let actor = context.actor
            let result = try await context.perform { tenant -> Outbound.Result in
                do {
                    return try Outbound(services: tenant.services).send(sendRequest, tenant: tenant, actor: actor)
                } catch let invalid as Outbound.Invalid {
                    throw Problem(status: .unprocessableContent, title: "Validation failed", detail: invalid.description,
                                  errors: [.init(path: invalid.field, message: invalid.description)])
                }
            }
            if result.status == "blocked" {
                throw Problem(
                    status: .unprocessableContent, title: "Blocked by policy",
                    detail: "\(result.detail ?? "") (message \(result.messageID) is stored as blocked and audited)",
                    errors: [.init(path: "policy", message: result.reason ?? "blocked")])
            }
            return try json(result, status: .accepted)
        }
    }
}
