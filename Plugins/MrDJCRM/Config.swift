import Foundation
import PluginAPI

/// The plugin's settings from `plugins[].config` in the tenant manifest.
struct Config {
    /// A sales pipeline and its stages, in order (seed 003 §3.2).
    struct Pipeline {
        var name: String
        var stages: [String]
    }

    /// A quote package template: line items (euro cents, VAT excluded), crew and equipment.
    struct Package {
        struct Item { var description: String; var cents: Int }
        var name: String
        var items: [Item]
        var crew: Int
        var equipment: [String]
        var netCents: Int { items.reduce(0) { $0 + $1.cents } }
    }

    static let defaultStages = ["Nieuwe Lead", "Kwalificatie", "Offerte", "Aanbetaling", "Project Gereed", "Evaluatie"]

    var pipelines: [Pipeline] = ["Bruiloften", "Zakelijk", "Equipment-only"].map { Pipeline(name: $0, stages: defaultStages) }
    var packages: [String: Package] = [:]
    var vatPercent = 21.0
    var owner = "Bart"
    var emailChannel = "email"
    var formSecret = ""
    /// The shared secret of `POST /hooks/mrdj/crm` (lead events from another system, e.g. LeadQualifier).
    var crmIntakeSecret = ""
    var brochurePath = "brochure.pdf"
    var teamsWebhookURL: String?
    var mollieBaseURL = "https://api.mollie.com"
    var mollieAPIKey = ""
    var depositCents = 25_000
    var publicBaseURL = "https://mr-dj.rentguy.nl"
    var redirectURL = "https://mr-dj.nl/bedankt"
    var firstResponseMinutes = 120
    /// Clock hours for a reaction to a sent quote; the deadline then moves to the next business moment.
    var quoteReactionHours = 24
    var quoteFollowUpDays = 3
    var businessHours = BusinessHours()
    /// Where projects are pushed (`rentguy.webhook_url`), and the HMAC key that signs them.
    var rentGuyURL: String?
    var rentGuySecret = ""
    var smsChannel = "sms"
    var reviewURL = "https://g.page/r/mrdj/review"
    var upsellAfterDays = 30
    var checklist = ["Stroom (2× 230 V) binnen 10 m van de DJ-plek", "Parkeerplek voor de bus bij de laadingang", "Contactpersoon op de avond", "Playlist en verzoeknummers gedeeld"]
    /// The tenant file drawn at the top of the quote PDF (PNG or JPEG); none when the file is missing.
    var logoPath = "logo.png"

    init(_ json: JSON) {
        func string(_ value: JSON?) -> String? { value?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        func int(_ value: JSON?) -> Int? { value?.doubleValue.map { Int($0) } }
        if let list = json["pipelines"]?.arrayValue, !list.isEmpty {
            pipelines = list.compactMap { entry in
                if let name = entry.stringValue { return Pipeline(name: name, stages: Self.defaultStages) }
                guard let name = string(entry["name"]) else { return nil }
                let stages = entry["stages"]?.arrayValue?.compactMap(\.stringValue) ?? Self.defaultStages
                return Pipeline(name: name, stages: stages)
            }
        }
        for (name, value) in json["packages"]?.objectValue ?? [:] {
            let items = (value["items"]?.arrayValue ?? []).compactMap { item -> Package.Item? in
                guard let text = string(item["description"]), let price = item["price"]?.doubleValue else { return nil }
                return Package.Item(description: text, cents: Int((price * 100).rounded()))
            }
            packages[name] = Package(
                name: name, items: items, crew: int(value["crew"]) ?? 1, equipment: value["equipment"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        vatPercent = json["vat_percent"]?.doubleValue ?? vatPercent
        owner = string(json["owner"]) ?? owner
        emailChannel = string(json["email_channel"]) ?? emailChannel
        formSecret = string(json["website_form_secret"]) ?? formSecret
        crmIntakeSecret = string(json["crm_intake_secret"]) ?? crmIntakeSecret
        brochurePath = string(json["brochure"]) ?? brochurePath
        teamsWebhookURL = string(json["teams_webhook_url"])
        let mollie = json["mollie"]
        mollieBaseURL = string(mollie?["base_url"]) ?? mollieBaseURL
        mollieAPIKey = string(mollie?["api_key"]) ?? mollieAPIKey
        depositCents = mollie?["deposit"]?.doubleValue.map { Int(($0 * 100).rounded()) } ?? depositCents
        redirectURL = string(mollie?["redirect_url"]) ?? redirectURL
        publicBaseURL = string(json["public_base_url"]) ?? publicBaseURL
        let sla = json["sla"]
        firstResponseMinutes = int(sla?["first_response_minutes"]) ?? firstResponseMinutes
        quoteReactionHours = int(sla?["quote_reaction_hours"]) ?? quoteReactionHours
        quoteFollowUpDays = int(sla?["quote_follow_up_business_days"]) ?? quoteFollowUpDays
        if let hours = sla?["business_hours"] { businessHours = BusinessHours(hours) }
        rentGuyURL = string(json["rentguy"]?["webhook_url"])
        rentGuySecret = string(json["rentguy"]?["secret"]) ?? rentGuySecret
        let care = json["aftercare"]
        smsChannel = string(care?["sms_channel"]) ?? smsChannel
        reviewURL = string(care?["review_url"]) ?? reviewURL
        upsellAfterDays = int(care?["upsell_after_days"]) ?? upsellAfterDays
        checklist = care?["checklist"]?.arrayValue?.compactMap(\.stringValue) ?? checklist
        logoPath = string(json["logo"]) ?? logoPath
    }

    func pipeline(_ name: String) -> Pipeline? { pipelines.first { $0.name == name } }
}
