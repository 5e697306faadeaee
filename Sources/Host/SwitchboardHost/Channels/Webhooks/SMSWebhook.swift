import Hummingbird
import SwitchboardJSON

/// `POST /webhooks/sms`: a generic SMS gateway's inbound messages, JSON `{from, to?, text, id}` signed with
/// `X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` (the `sms` channel's `secret`). On the
/// platform's shared URL the signature picks the tenant, and `to` (the tenant's `from` number) settles a tie.
struct SMSWebhook {
    let support: WebhookSupport

    func register(on router: Router<AppRequestContext>) {
        router.post("/webhooks/sms") { request, context -> Response in
            let body = try await WebhookSupport.rawBody(request, context)
            let candidates = support.candidates(context, kind: "sms")
            guard !candidates.isEmpty else { throw Problem(status: .notFound, title: "Not found", detail: "No tenant here receives SMS.") }
            let signed = try support.tenantsSigningSHA256(
                body, header: request.headers[.xSignature], kind: "sms", secretKey: "secret", candidates: candidates, context: context)

            var fields = try JSONBody.parse(body, allowed: nil)
            let from = fields.string("from", required: true, maxLength: 40) ?? ""
            let to = fields.string("to", maxLength: 40).flatMap(PhoneNumber.e164)
            let text = fields.string("text", required: true, maxLength: 4096)
            let id = fields.string("id", required: true, maxLength: 200) ?? ""
            let phone = PhoneNumber.e164(from)
            if !from.isEmpty, phone == nil { fields.fail("from", "must be a phone number") }
            try fields.finish()
            let tenant = signed.first { to != nil && PhoneNumber.e164($0.manifest.channels["sms"]?["from"] ?? "") == to } ?? signed[0]
            let message = InboundMessage(channel: "sms", providerMessageID: id, phone: phone, text: text)
            let outcome = try await support.commit([message], [], tenant: tenant)[0]
            return try json(outcome, status: outcome.duplicate ? .ok : .accepted)
        }
    }
}
