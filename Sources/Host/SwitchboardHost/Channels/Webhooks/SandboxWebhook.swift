import Hummingbird
import SwitchboardJSON

/// `POST /webhooks/sandbox` `{from, name?, text, id?, sent_at?}`: the embedded channel for demos and tests.
/// `from` is an E.164 number or an email address; a repeated `id` changes nothing; `sent_at` (epoch ms) plays the
/// provider's timestamp.
struct SandboxWebhook {
    let support: WebhookSupport

    func register(on router: Router<AppRequestContext>) {
        router.post("/webhooks/sandbox") { request, context -> Response in
            guard let tenant = context.tenant, tenant.manifest.channels["sandbox"] != nil else {
                throw Problem(status: .notFound, title: "Not found", detail: "The sandbox channel is not enabled for this host.")
            }
            var body = try await JSONBody.read(request, context, allowed: ["from", "name", "text", "id", "sent_at"])
            let from = body.string("from", required: true, maxLength: 254) ?? ""
            let name = body.string("name", maxLength: 200)
            let text = body.string("text", required: true, maxLength: 4096)
            let id = body.string("id", maxLength: 200) ?? Identifier.make()
            let sentAt = body.integer("sent_at", range: 0...9_999_999_999_999)
            let phone = from.contains("@") ? nil : PhoneNumber.e164(from)
            if !from.isEmpty, phone == nil, !from.contains("@") { body.fail("from", "must be an E.164 phone number or an email address") }
            try body.finish()
            let message = InboundMessage(
                channel: "sandbox", providerMessageID: id, phone: phone, email: phone == nil ? from : nil, name: name, text: text,
                sentAt: sentAt.map { Int64($0) })
            let outcome = try await support.commit([message], [], tenant: tenant)[0]
            return try json(outcome, status: outcome.duplicate ? .ok : .accepted)
        }
    }
}
