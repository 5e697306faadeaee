import PluginAPI

/// The customer's accept link in the quote mail: `<public base URL>/quotes/accept?token=<quote id>.<hex HMAC>`.
/// The token is an HMAC-SHA256 of the quote id under a random key the plugin keeps in its store, so it names one
/// quote and cannot be forged. `GET` shows the quote with a confirm button (a mail scanner fetching the link
/// accepts nothing); `POST` accepts exactly as `POST /api/crm/quotes/{id}/accept` does and redirects to the
/// Mollie checkout. Accepting again has no second effect: it returns the same payment.
extension MrDJCRMPlugin {
    func acceptLink(_ quoteID: String) throws -> String {
        "\(config.publicBaseURL)/quotes/accept?token=\(quoteID).\(HMAC.hex(HMAC.sha256(key: try linkKey(), data: Self.signed(quoteID))))"
    }

    /// `GET /quotes/accept?token=…`: the confirmation page.
    func acceptPage(_ request: HTTPRequest) throws -> HTTPResponse {
        let quote: Quote = try load(Collections.quotes, try quoteID(fromToken: request.query["token"]))
        let token = Self.escape(request.query["token"] ?? "")
        let action = quote.paymentID == nil
            ? "<form method=\"post\" action=\"/quotes/accept?token=\(token)\"><button type=\"submit\">Akkoord, naar de aanbetaling</button></form>"
            : "<p>Deze offerte is al geaccepteerd.</p>"
        let html = "<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\"><title>Offerte \(Self.escape(quote.id))</title><body>"
            + "<h1>\(Self.escape(brandName)): offerte \(Self.escape(quote.id))</h1><p>\(Self.escape(quote.package))-pakket, \(Self.escape(Money.euro(quote.totalCents))) incl. btw.</p>"
            + action + "</body></html>"
        return HTTPResponse(headers: ["Content-Type": "text/html; charset=utf-8"], body: html)
    }

    /// `POST /quotes/accept?token=…`: accepts the quote, then sends the customer on to pay the deposit.
    func acceptByLink(_ request: HTTPRequest) throws -> HTTPResponse {
        let token = request.query["token"] ?? Self.formFields(request.body)["token"]?.stringValue
        let accepted = try accept(quoteID: try quoteID(fromToken: token), actor: "customer")
        guard let checkout = accepted["checkout_url"]?.stringValue else { return .ok(accepted) }
        return HTTPResponse(status: 303, headers: ["Location": checkout], json: accepted)
    }

    /// The quote a token names, or a 403 when the token is missing or its signature does not match.
    func quoteID(fromToken token: String?) throws -> String {
        guard let token, let dot = token.lastIndex(of: "."),
            HMAC.verify(header: "sha256=" + token[token.index(after: dot)...], body: Self.signed(String(token[..<dot])), secret: try linkKeyText())
        else { throw PluginError(.denied, code: "invalid_token", message: "the accept link is invalid") }
        return String(token[..<dot])
    }

    private static func signed(_ quoteID: String) -> [UInt8] { Array("quote-accept:\(quoteID)".utf8) }

    private func linkKey() throws -> [UInt8] { Array(try linkKeyText().utf8) }

    /// The tenant's link-signing key (64 hex digits), made on first use.
    private func linkKeyText() throws -> String {
        if let key = try host.get(Collections.keys, "accept_link", as: String.self) { return key }
        let key = HMAC.hex((0..<32).map { _ in UInt8.random(in: .min ... .max) })
        try host.put(Collections.keys, "accept_link", key)
        return key
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
