import Foundation
import PluginAPI

extension MrDJCRMPlugin {
    /// `POST /api/crm/quotes/{id}/accept`: creates the Mollie deposit payment and moves the deal to Aanbetaling.
    /// Accepting again returns the same payment.
    func accept(quoteID: String, actor: String) throws -> JSON {
        var quote: Quote = try load(Collections.quotes, quoteID)
        if let paymentID = quote.paymentID {
            return ["quote_id": .string(quote.id), "payment_id": .string(paymentID), "checkout_url": quote.checkoutURL.map(JSON.string) ?? .null]
        }
        let deal = try deal(quote.dealID)
        guard deal.stage == "Offerte", deal.quoteID == quote.id else {
            throw PluginError.badArgument("quote \(quote.id) is not the open offer of \(deal.id) (stage \(deal.stage))")
        }
        let request: JSON = [
            "amount": ["currency": "EUR", "value": .string(Money.decimal(config.depositCents))],
            "description": .string("Aanbetaling \(brandName) \(quote.id) (\(quote.package))"),
            "redirectUrl": .string(config.redirectURL),
            "webhookUrl": .string("\(config.publicBaseURL)/hooks/mrdj/mollie"),
            "metadata": ["deal_id": .string(deal.id), "quote_id": .string(quote.id)],
        ]
        let payment = try mollie("POST", "/v2/payments", body: request)
        guard let paymentID = payment["id"]?.stringValue else { throw PluginError(.retry, code: "mollie_error", message: "Mollie returned no payment id") }
        quote.status = "accepted"
        quote.acceptedAt = nowMillis
        quote.paymentID = paymentID
        quote.checkoutURL = payment["_links"]?["checkout"]?["href"]?.stringValue
        try host.put(Collections.quotes, quote.id, quote)
        try host.put(Collections.payments, paymentID, Payment(id: paymentID, dealID: deal.id, quoteID: quote.id, status: payment["status"]?.stringValue ?? "open"))
        try host.cancelJobs(["unique_key": "sla:quote_reaction:\(quote.id)"])
        try host.cancelJobs(["unique_key": "sla:quote_follow_up:\(quote.id)"])
        try moveDeal(deal.id, to: "Aanbetaling", actor: actor)
        return ["quote_id": .string(quote.id), "payment_id": .string(paymentID), "checkout_url": quote.checkoutURL.map(JSON.string) ?? .null]
    }

    /// `POST /hooks/mrdj/mollie` (`id=tr_…`, form-encoded). Mollie's webhook carries no signature: the payment is
    /// fetched back with the tenant's key, and only what Mollie answers counts. `paid` moves the deal on and creates
    /// the project; `expired`, `failed` and `canceled` give sales a task. Repeated calls do nothing more.
    func mollieWebhook(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let id = Self.formFields(request.body)["id"]?.stringValue, id.hasPrefix("tr_"),
            var payment = try host.get(Collections.payments, id, as: Payment.self)
        else { return HTTPResponse(status: 200, body: "ignored") }
        let status = try mollie("GET", "/v2/payments/\(id)")["status"]?.stringValue ?? "open"
        payment.status = status
        guard !payment.handled, ["paid", "expired", "failed", "canceled"].contains(status) else {
            try host.put(Collections.payments, id, payment)
            return HTTPResponse(status: 200, body: "ok")
        }
        let deal = try deal(payment.dealID)
        if status == "paid" {
            try moveDeal(deal.id, to: "Project Gereed", actor: "mollie")
            try createProject(for: deal.id)
        } else {
            try task("Aanbetaling \(status): \(deal.title)", assignee: deal.owner, contactID: deal.contactID, priority: "high")
        }
        payment.handled = true
        try host.put(Collections.payments, id, payment)
        try audit("crm.payment_\(status)", subject: id, details: ["deal_id": .string(deal.id)])
        return HTTPResponse(status: 200, body: "ok")
    }

    /// A Mollie API call with the tenant's key; a transport failure or 5xx asks for a retry.
    func mollie(_ method: String, _ path: String, body: JSON? = nil) throws -> JSON {
        var request: [String: JSON] = [
            "method": .string(method), "url": .string(config.mollieBaseURL + path),
            "headers": ["Authorization": .string("Bearer \(config.mollieAPIKey)"), "Content-Type": "application/json"],
        ]
        if let body { request["body"] = .string(try body.serialized()) }
        let reply = try host.httpRequest(.object(request))
        let status = Int(reply["status"]?.doubleValue ?? 0)
        let bytes = Data(base64Encoded: reply["body_base64"]?.stringValue ?? "").map(Array.init) ?? []
        guard status < 400 else {
            throw PluginError(status >= 500 ? .retry : .error, code: "mollie_\(status)", message: "Mollie answered \(status) to \(method) \(path)")
        }
        return (try? JSON.parse(bytes: bytes)) ?? .null
    }
}
