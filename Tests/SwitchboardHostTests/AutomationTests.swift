import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Automation rules")
struct AutomationTests {
    /// The TutorBot demo tenant from tenants/tutorbot.yaml, with its shipped rules.
    static func tutorbot() throws -> SwitchboardHost {
        try TestEnvironment.host(manifests: [
            "tutorbot": try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/tutorbot.yaml"), encoding: .utf8),
        ])
    }

    @Test("seed 000's seven label rules, driven through the contacts API")
    func sevenSeedRules() async throws {
        let host = try Self.tutorbot()
        let token = try host.token("tutorbot", role: "agent")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "tutorbot.localhost", token: token)
            func labels(_ reply: APIClient.Reply) -> Set<String> {
                Set(reply.json["labels"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
            let created = try await api.post("/api/v1/contacts", ["name": "Sanne", "phone": "+31611111111"])
            let id = try #require(created.json["id"]?.stringValue)
            let path = "/api/v1/contacts/\(id)/attributes"

            // new_client: is_student=true + welcome_done=false
            #expect(labels(try await api.patch(path, ["is_student": "true", "welcome_done": "false"])) == ["new_client"])
            // returning_client: is_student=true + welcome_done=true (and new_client goes)
            #expect(labels(try await api.patch(path, ["welcome_done": "true"])) == ["returning_client"])
            // needs_guardian + minor + needs_parent_contact (guardian_consent empty): is_adult=false
            #expect(labels(try await api.patch(path, ["is_adult": "false"])) == ["returning_client", "needs_guardian", "minor", "needs_parent_contact"])
            // needs_parent_contact applies only while guardian_consent is empty
            #expect(labels(try await api.patch(path, ["guardian_consent": "true"])) == ["returning_client", "needs_guardian", "minor"])
            // age_verified: age_verified_at is present
            #expect(labels(try await api.patch(path, ["age_verified_at": "2026-11-23T10:00:00Z"])).contains("age_verified"))
            // weekend_discount: wknd_eligible=true, and it goes when the flag goes
            #expect(labels(try await api.patch(path, ["wknd_eligible": "true"])).contains("weekend_discount"))
            #expect(!labels(try await api.patch(path, ["wknd_eligible": "false"])).contains("weekend_discount"))

            // A second minor whose guardian consent is recorded before the age: never needs_parent_contact.
            let other = try await api.post("/api/v1/contacts", ["name": "Tim", "attributes": ["guardian_consent": "true"]])
            let otherID = try #require(other.json["id"]?.stringValue)
            let minor = labels(try await api.patch("/api/v1/contacts/\(otherID)/attributes", ["is_adult": "false"]))
            #expect(minor == ["needs_guardian", "minor"])

            // An attribute the tenant does not declare, or of the wrong type, is refused.
            let undeclared = try await api.patch(path, ["shoe_size": "42"])
            #expect(undeclared.status == .unprocessableContent)
            #expect(try await api.patch(path, ["is_adult": .bool(false)]).status == .unprocessableContent)

            // Every applied rule is logged with its outcome.
            let runs = try host.services.automation.runs(tenantID: "tutorbot", ruleID: "manifest:needs_parent_contact")
            #expect(runs.contains { $0.outcome == "applied" && $0.subject == id })
        }
    }

    @Test("rules from the API run, a rule's own change does not re-trigger it endlessly, and runs are logged")
    func loopGuardAndAPI() async throws {
        let host = try TestEnvironment.host(manifests: ["loop": manifest(slug: "loop", domain: "loop.localhost")])
        let token = try host.token("loop", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "loop.localhost", token: token)
            // Two rules that keep flipping an attribute would loop forever without the guard.
            let ping = try await api.post("/api/v1/automation_rules", [
                "name": "ping", "event": "contact_updated",
                "conditions": [["attribute": "state", "operator": "equal_to", "value": "a"]],
                "actions": [["set_attribute": ["name": "state", "value": "b"]], ["add_label": "pinged"]],
            ])
            #expect(ping.status == .created)
            let pong = try await api.post("/api/v1/automation_rules", [
                "name": "pong", "event": "contact_updated",
                "conditions": [["attribute": "state", "operator": "equal_to", "value": "b"]],
                "actions": [["set_attribute": ["name": "state", "value": "a"]]],
            ])
            #expect(pong.status == .created)
            let contact = try await api.post("/api/v1/contacts", ["name": "Loop"])
            let id = try #require(contact.json["id"]?.stringValue)
            let updated = try await api.patch("/api/v1/contacts/\(id)/attributes", ["state": "a"])
            #expect(updated.status == .ok)
            #expect(updated.json["labels"] == ["pinged"])
            let pingID = try #require(ping.json["id"]?.stringValue)
            let runs = try await api.get("/api/v1/automation_rules/\(pingID)/runs").json["data"]?.arrayValue ?? []
            let outcomes = runs.compactMap { $0["outcome"]?.stringValue }
            #expect(outcomes.filter { $0 == "applied" }.count == 1)
            #expect(outcomes.contains("loop_prevented"))

            // Invalid rules are refused with field detail.
            let invalid = try await api.post("/api/v1/automation_rules", [
                "name": "bad", "event": "contact_exploded", "conditions": [["attribute": "x", "operator": "resembles", "value": "y"]],
                "actions": [["launch_rocket": "now"]],
            ])
            #expect(invalid.status == .unprocessableContent)
            let paths = Set((invalid.json["errors"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue })
            #expect(paths == ["event", "conditions[0].operator", "actions[0]"])

            // Deactivating a rule stops it.
            #expect(try await api.patch("/api/v1/automation_rules/\(pingID)", ["active": false]).json["active"] == .bool(false))
            let other = try await api.post("/api/v1/contacts", ["name": "Quiet", "attributes": ["state": "a"]])
            let otherID = try #require(other.json["id"]?.stringValue)
            #expect(try await api.patch("/api/v1/contacts/\(otherID)/attributes", ["state": "a"]).json["labels"] == [])
        }
    }

    @Test("manifest rules are stored read-only, and conditions join with and/or")
    func manifestRulesAndConditions() async throws {
        let host = try Self.tutorbot()
        let token = try host.token("tutorbot", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "tutorbot.localhost", token: token)
            let rules = try await api.get("/api/v1/automation_rules").json["data"]?.arrayValue ?? []
            #expect(rules.count >= 7)
            #expect(try await api.delete("/api/v1/automation_rules/manifest:minor").status == .conflict)
        }
        let contact = Contact(id: "c", name: nil, phone: nil, email: nil, attributes: ["a": "1", "b": "2"], labels: ["x"], createdAt: 0, updatedAt: 0)
        let subject = AutomationSubject(contact: contact)
        typealias C = AutomationRule.Condition
        let aIs1 = C(attribute: "a", operator: "equal_to", value: "1")
        let bIs3 = C(attribute: "b", operator: "equal_to", value: "3")
        var aIs1Or = aIs1
        aIs1Or.join = "or"
        #expect(!ConditionEvaluator.matches([aIs1, bIs3], subject))
        #expect(ConditionEvaluator.matches([aIs1Or, bIs3], subject))
        #expect(ConditionEvaluator.matches([C(attribute: "b", operator: "greater_than", value: .number(1))], subject))
        #expect(ConditionEvaluator.matches([C(label: "x", operator: "is_present")], subject))
        #expect(ConditionEvaluator.matches([C(attribute: "missing", operator: "equal_to", value: "")], subject))
    }
}

extension AutomationRule.Condition {
    init(attribute: String? = nil, label: String? = nil, operator: String, value: JSON? = nil) {
        self.init(attribute: attribute, conversationAttribute: nil, label: label, field: nil, operator: `operator`, value: value, join: nil)
    }
}

extension AutomationSubject {
    init(contact: Contact) {
        self.init(contact: contact, conversation: nil, messageContent: nil, messageDirection: nil)
    }
}
