import PluginAPI
import Testing

@testable import TutorBot

/// The attribute audit's checks, one contact at a time.
@Suite("Attribute audit")
struct AttributeAuditTests {
    @Test("a complete adult student has no problems")
    func clean() {
        let attributes: [String: JSON] = [
            "first_name": "Eva", "language": "en", "is_adult": "true", "is_student": "true", "welcome_done": "false",
            "education_level": "havo", "subject": "maths", "year": "4", "format_preference": "online",
            "first_contact_at": "2026-03-02T08:00:00Z", "age_verified_at": "2026-03-02",
        ]
        #expect(AttributeAudit.problems(attributes).isEmpty)
    }

    @Test("flags that are not true/false, dates that are not dates, and what a student or minor lacks")
    func problems() {
        let found = AttributeAudit.problems([
            "is_adult": "false", "guardian_consent": "true", "is_student": "yes", "name_asked_at": "gisteren", "language": "de",
        ])
        let byAttribute = Dictionary(grouping: found, by: \.attribute)
        #expect(byAttribute["is_student"]?.first?.problem == "not true/false")
        #expect(byAttribute["name_asked_at"]?.first?.problem == "not a date")
        #expect(byAttribute["language"] != nil && byAttribute["guardian_name"] != nil && byAttribute["guardian_verified_at"] != nil)
        #expect(AttributeAudit.problems(["is_adult": "false", "guardian_consent": "", "guardian_name": "P", "guardian_phone": "+31612345678"]).isEmpty)
    }
}
