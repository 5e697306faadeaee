import Foundation
import PluginAPI

/// Seed 000's attribute audit: contacts whose attributes are missing or invalid.
enum AttributeAudit {
    static let flags = ["is_adult", "guardian_consent", "is_student", "is_parent", "welcome_done", "wknd_eligible"]
    static let dates = ["guardian_verified_at", "student_since", "parent_since", "first_contact_at", "name_asked_at", "age_verified_at"]
    /// What every student needs for planning.
    static let requiredForStudents = ["first_name", "language", "is_adult", "education_level", "subject", "year", "format_preference"]

    struct Problem: Encodable, Equatable {
        var attribute: String
        var value: String?
        var problem: String
    }

    /// The problems of one contact's attributes.
    static func problems(_ attributes: [String: JSON]) -> [Problem] {
        func text(_ key: String) -> String? {
            guard let value = attributes[key], value != .null else { return nil }
            return value.stringValue ?? ((try? value.serialized()) ?? "?")
        }
        var problems: [Problem] = []
        for flag in flags {
            guard let value = text(flag) else { continue }
            if value == "", flag == "guardian_consent", text("is_adult") == "false" { continue }
            if value != "true", value != "false" { problems.append(Problem(attribute: flag, value: value, problem: "not true/false")) }
        }
        for key in dates {
            if let value = text(key), !isDate(value) { problems.append(Problem(attribute: key, value: value, problem: "not a date")) }
        }
        if let language = text("language"), !["nl", "en"].contains(language) {
            problems.append(Problem(attribute: "language", value: language, problem: "not nl/en"))
        }
        if let format = text("format_preference"), !["online", "offline"].contains(format) {
            problems.append(Problem(attribute: "format_preference", value: format, problem: "not online/offline"))
        }
        if let phone = text("guardian_phone"), Intents.phone(phone) != phone {
            problems.append(Problem(attribute: "guardian_phone", value: phone, problem: "not an E.164 number"))
        }
        if text("is_student") == "true" {
            for key in requiredForStudents where (text(key) ?? "").isEmpty {
                problems.append(Problem(attribute: key, value: nil, problem: "missing for a student"))
            }
        }
        if text("is_adult") == "false" {
            for key in ["guardian_name", "guardian_phone"] where (text(key) ?? "").isEmpty {
                problems.append(Problem(attribute: key, value: nil, problem: "missing for a minor"))
            }
        }
        if text("guardian_consent") == "true", (text("guardian_verified_at") ?? "").isEmpty {
            problems.append(Problem(attribute: "guardian_verified_at", value: nil, problem: "missing although consent is given"))
        }
        return problems
    }

    static func isDate(_ text: String) -> Bool {
        if text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil { return true }
        let formatter = ISO8601DateFormatter()
        if formatter.date(from: text) != nil { return true }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) != nil
    }

    /// The audit over every contact of the tenant.
    static func run(host: PluginAPI.Host) throws -> JSON {
        var reports: [JSON] = [], checked = 0
        for contact in try host.all("contacts.list") {
            checked += 1
            let found = problems(contact["attributes"]?.objectValue ?? [:])
            guard !found.isEmpty else { continue }
            reports.append([
                "contact_id": contact["id"] ?? .null, "name": contact["name"] ?? .null, "problems": try JSON(encoding: found),
            ])
        }
        return ["checked": .number(Double(checked)), "contacts_with_problems": .number(Double(reports.count)), "contacts": .array(reports)]
    }
}
