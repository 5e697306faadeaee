import Foundation
import PluginAPI

extension MrDJCRMPlugin {
    /// `POST /api/crm/quotes {deal_id, package?}`: prices the package (VAT from the config), renders the branded
    /// PDF, stores it, mails it to the customer, moves the deal to Offerte and starts the quote SLAs.
    /// Quotes come after qualification: the deal must be in Kwalificatie (or Offerte, for a new quote).
    func createQuote(_ body: JSON) throws -> Quote {
        var deal = try deal(body["deal_id"]?.stringValue ?? "")
        guard ["Kwalificatie", "Offerte"].contains(deal.stage) else {
            throw PluginError.badArgument("a quote needs a qualified deal (Kwalificatie or Offerte); \(deal.id) is in \(deal.stage)")
        }
        let name = body["package"]?.stringValue ?? deal.package ?? ""
        guard let package = config.packages[name] else { throw PluginError.badArgument("unknown package \(name)") }
        let vat = Int((Double(package.netCents) * config.vatPercent / 100).rounded())
        var quote = Quote(
            id: try nextID("quote"), dealID: deal.id, package: name, lines: package.items.map { Quote.Line(description: $0.description, cents: $0.cents) },
            netCents: package.netCents, vatCents: vat, totalCents: package.netCents + vat, sentAt: nowMillis, pdfBase64: "")
        let customer = try host.contact(["id": deal.contactID])
        quote.pdfBase64 = try host.call("pdf.render", ["document": quoteDocument(quote, deal: deal, customer: customer)])["pdf_base64"]?.stringValue ?? ""
        try host.put(Collections.quotes, quote.id, quote)
        deal.package = name
        deal.valueCents = quote.totalCents
        deal.quoteID = quote.id
        deal.updatedAt = nowMillis
        try host.put(Collections.deals, deal.id, deal)
        if deal.stage != "Offerte" { try moveDeal(deal.id, to: "Offerte", actor: "plugin:mrdj-crm") }
        try email(
            to: deal.contactID, subject: "Je offerte \(quote.id) van \(brandName)",
            text: "Hoi \(customer["name"]?.stringValue ?? ""),\n\nIn de bijlage vind je de offerte voor het \(name)-pakket: \(Money.euro(quote.totalCents)) incl. btw.\n\nAkkoord? Bevestig de offerte via \(try acceptLink(quote.id))\n\nMet swingende groet,\n\(brandName)",
            attachments: [["filename": .string("\(quote.id).pdf"), "content_type": "application/pdf", "content_base64": .string(quote.pdfBase64)]])
        try scheduleQuoteSLAs(quote)
        return quote
    }

    /// The `pdf.render` document of a quote, in the tenant's branding.
    func quoteDocument(_ quote: Quote, deal: Deal, customer: JSON) -> JSON {
        let rows: [JSON] = quote.lines.map { [.string($0.description), .string(Money.euro($0.cents))] }
        let logo: [JSON] = logoBase64().map { [["image": ["base64": .string($0), "width": 150, "align": "right"]]] } ?? []
        return [
            "title": .string("Offerte \(quote.id)"), "author": .string(brandName),
            "brand_color": .string(branding["accent_color"]?.stringValue ?? "#d4af37"),
            "blocks": .array(logo + [
                ["heading": .string("\(brandName) · Offerte \(quote.id)")],
                ["pairs": [
                    ["Klant", .string(customer["name"]?.stringValue ?? customer["email"]?.stringValue ?? "")],
                    ["Pakket", .string(quote.package)],
                    ["Datum", .string(deal.eventDate ?? "in overleg")],
                    ["Locatie", .string(deal.venue ?? "in overleg")],
                ]],
                ["space": 12],
                ["table": [
                    "columns": ["Omschrijving", "Bedrag"], "rows": .array(rows), "widths": [0.75, 0.25], "align": ["left", "right"],
                    "footer": .array([
                        ["Subtotaal", .string(Money.euro(quote.netCents))],
                        [.string("Btw \(Money.percent(config.vatPercent))"), .string(Money.euro(quote.vatCents))],
                        ["Totaal", .string(Money.euro(quote.totalCents))],
                    ]),
                ]],
                ["space": 12],
                ["text": .string("Na akkoord vragen we een aanbetaling van \(Money.euro(config.depositCents)). Deze offerte is 14 dagen geldig.")],
            ]),
        ]
    }

    /// The branding logo's bytes (base64) from the tenant's files, or `nil` when there is none.
    func logoBase64() -> String? {
        (try? host.call("files.read", ["path": config.logoPath]))?["content_base64"]?.stringValue
    }

    /// `GET /api/crm/quotes/{id}.pdf` is the PDF; `GET /api/crm/quotes/{id}` the quote without it.
    func quoteDownload(_ file: String) throws -> HTTPResponse {
        if file.hasSuffix(".pdf") {
            let quote: Quote = try load(Collections.quotes, String(file.dropLast(4)))
            return HTTPResponse(
                headers: ["Content-Type": "application/pdf", "Content-Disposition": "attachment; filename=\"\(quote.id).pdf\""], bodyBase64: quote.pdfBase64)
        }
        return .ok(try quoteSummary(load(Collections.quotes, file)))
    }

    /// A quote as the API shows it: everything but the PDF bytes.
    func quoteSummary(_ quote: Quote) throws -> JSON {
        var json = try JSON(encoding: quote).objectValue ?? [:]
        json["pdf_base64"] = nil
        json["pdf_url"] = .string("/api/crm/quotes/\(quote.id).pdf")
        return .object(json)
    }
}

/// Euro amounts as Dutch text.
enum Money {
    /// `123456` → `€ 1.234,56`.
    static func euro(_ cents: Int) -> String {
        let whole = String(abs(cents) / 100)
        var grouped = ""
        for (index, digit) in whole.reversed().enumerated() {
            if index > 0, index % 3 == 0 { grouped.append(".") }
            grouped.append(digit)
        }
        let fraction = abs(cents) % 100
        return "\(cents < 0 ? "-" : "")€ \(String(grouped.reversed())),\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `250_00` → `"250.00"`, Mollie's amount format.
    static func decimal(_ cents: Int) -> String {
        let fraction = cents % 100
        return "\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func percent(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }
}
