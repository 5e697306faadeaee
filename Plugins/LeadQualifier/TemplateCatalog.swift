import PluginAPI

/// Seed 002 §5's WhatsApp templates, upserted into the tenant's catalogue when the instance starts.
/// Their approval state comes from the config (`templates.approval_status`, default `approved` for the demo).
enum TemplateCatalog {
    struct Template {
        let name: String
        let category: String
        let body: String
    }

    static let all: [Template] = [
        Template(name: "lead_welcome_v1", category: "marketing",
                 body: "Hey {{1}}, danke für deine Anfrage Ich hätte kurz 2 Fragen, damit ich einschätzen kann, ob wir dir schnell helfen können. Passt das?"),
        Template(name: "lead_nudge_v1", category: "marketing",
                 body: "Kurzer Reminder zu meiner Frage von eben Wenn du magst, antworte einfach mit *Ja* und wir machen weiter."),
        Template(name: "lead_followup_24h_v1", category: "marketing",
                 body: "Hi {{1}}, kurzer Hinweis: Im Call zeige ich dir live, wie der Bot Leads qualifiziert und Termine vorbereitet. Soll ich dir einen Slot schicken?"),
        Template(name: "lead_followup_48h_v1", category: "marketing",
                 body: "Wenn du willst, setzen wir das risikofrei als Pilot auf und prüfen gemeinsam die Ergebnisse. Soll ich dir 2 Terminvorschläge senden?"),
        Template(name: "appointment_reminder_22h_v1", category: "utility",
                 body: "Reminder zu deinem Termin morgen um {{1}} Uhr.\nMagst du mir vorab kurz sagen, wie viele Leads/Monat ihr aktuell habt?"),
        Template(name: "appointment_reminder_55m_v1", category: "utility", body: "In 55 Minuten geht’s los Hier ist nochmal dein Link: {{1}}"),
        Template(name: "appointment_reminder_5m_v1", category: "utility", body: "Start in 5 Minuten – bis gleich "),
    ]

    /// The marketing templates: what a consent revocation stops.
    static let marketing = Set(all.filter { $0.category == "marketing" }.map(\.name))

    static func seed(host: PluginAPI.Host, approval: String) throws {
        for template in all {
            for channel in ["whatsapp", "sandbox"] {
                try host.call("templates.upsert", [
                    "name": .string(template.name), "channel": .string(channel), "language": "de", "category": .string(template.category),
                    "body": .string(template.body), "approval_status": .string(channel == "whatsapp" ? approval : "not_required"),
                ] as JSON)
            }
        }
    }
}
