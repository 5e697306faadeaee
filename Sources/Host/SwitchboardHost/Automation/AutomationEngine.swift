import Foundation
import Logging
import NIOPosix
import SwitchboardJSON

/// Runs a tenant's automation rules on domain events.
///
/// Rules run right after the change that raised the event has committed, so an API caller
/// sees their effect in the next read. A rule's own changes raise `contact_updated` again,
/// but each rule fires at most once per chain, and chains stop at `maxDepth`.
public struct AutomationEngine: Sendable {
    public let services: HostServices
    public static let maxDepth = 5

    /// The event that triggers rules, and what it is about.
    public struct Trigger: Sendable {
        public var event: String
        public var contactID: String?
        public var conversationID: String?
        public var messageContent: String?
        public var messageDirection: String?
        /// The message that raised a `message_created` event: a rule's reply to it is sent once, however often it is dispatched.
        public var messageID: String?

        public init(
            event: String, contactID: String?, conversationID: String? = nil, messageContent: String? = nil, messageDirection: String? = nil,
            messageID: String? = nil
        ) {
            self.messageID = messageID
            self.event = event
            self.contactID = contactID
            self.conversationID = conversationID
            self.messageContent = messageContent
            self.messageDirection = messageDirection
        }
    }

    /// Runs the rules for `trigger` and the chain of `contact_updated` events their changes raise.
    public func handle(_ trigger: Trigger, tenant: Tenant) {
        var fired: Set<String> = []
        var next: Trigger? = trigger
        var depth = 0
        while let current = next {
            next = nil
            let changed = run(current, tenant: tenant, depth: depth, fired: &fired)
            if changed, let contactID = current.contactID {
                if depth + 1 >= Self.maxDepth {
                    services.logger.warning("automation chain stopped at depth limit", metadata: ["tenant": "\(tenant.slug)"])
                    break
                }
                next = Trigger(event: "contact_updated", contactID: contactID, conversationID: current.conversationID, messageID: current.messageID)
                depth += 1
            }
        }
    }

    /// One round: every active rule of the event whose conditions hold. Returns whether the contact changed.
    private func run(_ trigger: Trigger, tenant: Tenant, depth: Int, fired: inout Set<String>) -> Bool {
        let tenantID = tenant.slug
        let rules: [AutomationRule]
        do {
            rules = try services.automation.rules(tenantID: tenantID, event: trigger.event, activeOnly: true)
        } catch {
            services.logger.error("automation rules unreadable: \(error)", metadata: ["tenant": "\(tenantID)"])
            return false
        }
        var changed = false
        for rule in rules {
            guard let subject = try? subject(for: trigger, tenantID: tenantID),
                ConditionEvaluator.matches(rule.conditions, subject)
            else { continue }
            let subjectID = trigger.conversationID ?? trigger.contactID
            if fired.contains(rule.id) {
                log(tenantID, rule, trigger, subjectID, "loop_prevented", ["depth": .number(Double(depth))])
                continue
            }
            fired.insert(rule.id)
            var applied: [JSON] = []
            var failure: String?
            for action in rule.actions {
                do {
                    if try apply(action, rule: rule, trigger: trigger, subject: subject, tenant: tenant) { changed = true }
                    applied.append(action)
                } catch {
                    failure = "\(error)"
                    break
                }
            }
            var details: JSON = ["depth": .number(Double(depth)), "actions": .array(applied)]
            if let failure, case .object(var members) = details {
                members["error"] = .string(failure)
                details = .object(members)
            }
            log(tenantID, rule, trigger, subjectID, failure == nil ? "applied" : "failed", details)
        }
        return changed
    }

    private func subject(for trigger: Trigger, tenantID: String) throws -> AutomationSubject {
        let contact = try trigger.contactID.flatMap { try services.contacts.find(tenantID: tenantID, .id($0)) }
        let conversation = try trigger.conversationID.flatMap { try services.conversations.find(tenantID: tenantID, id: $0) }
        return AutomationSubject(
            contact: contact, conversation: conversation, messageContent: trigger.messageContent,
            messageDirection: trigger.messageDirection)
    }

    /// Applies one action; returns whether it changed the contact's attributes or labels.
    private func apply(_ action: JSON, rule: AutomationRule, trigger: Trigger, subject: AutomationSubject, tenant: Tenant) throws -> Bool {
        guard let (name, argument) = action.objectValue?.first else { return false }
        let tenantID = tenant.slug
        func requireContact() throws -> Contact {
            guard let contact = subject.contact else { throw AutomationError("\(name) needs a contact") }
            return contact
        }
        func requireConversation() throws -> Conversation {
            guard let conversation = subject.conversation else { throw AutomationError("\(name) needs a conversation") }
            return conversation
        }
        switch name {
        case "add_label":
            let contact = try requireContact()
            let label = argument.stringValue ?? ""
            guard !contact.labels.contains(label) else { return false }
            _ = try services.contacts.update(tenantID: tenantID, id: contact.id, addLabels: [label])
            return true
        case "remove_label":
            let contact = try requireContact()
            let label = argument.stringValue ?? ""
            guard contact.labels.contains(label) else { return false }
            _ = try services.contacts.update(tenantID: tenantID, id: contact.id, removeLabels: [label])
            return true
        case "set_attribute":
            let key = argument["name"]?.stringValue ?? "", value = argument["value"] ?? .null
            if argument["target"]?.stringValue == "conversation" {
                let conversation = try requireConversation()
                _ = try services.conversations.update(tenantID: tenantID, id: conversation.id, attributes: [key: value])
                return false
            }
            let contact = try requireContact()
            guard contact.attributes[key] != value else { return false }
            _ = try services.contacts.update(tenantID: tenantID, id: contact.id, attributes: [key: value])
            return true
        case "assign_agent", "assign_team":
            let conversation = try requireConversation()
            let value = argument.stringValue
            _ = try services.conversations.update(
                tenantID: tenantID, id: conversation.id, assignee: name == "assign_agent" ? .some(value) : nil,
                team: name == "assign_team" ? .some(value) : nil)
            return false
        case "create_task":
            let hours: Double? = argument["due_in_hours"]?.doubleValue
            let dueAt: Int64? = hours.map { Clock.nowMillis() + Int64($0 * 3_600_000) }
            let task = TaskItem(
                title: argument["title"]?.stringValue ?? rule.name, description: argument["description"]?.stringValue,
                taskType: argument["task_type"]?.stringValue ?? "follow_up", priority: argument["priority"]?.stringValue ?? "normal",
                assignee: argument["assignee"]?.stringValue, contactID: subject.contact?.id,
                conversationID: subject.conversation?.id, dueAt: dueAt, createdBy: "automation:\(rule.name)")
            _ = try services.tasks.create(tenantID: tenantID, task: task)
            return false
        case "send_message":
            let contact = try requireContact()
            var request: JSON = [
                "contact_id": .string(contact.id),
                "type": argument["template"] != nil ? "template" : "session_text",
                "variables": argument["variables"] ?? .object([:]),
            ]
            if case .object(var members) = request {
                members["template_name"] = argument["template"]
                members["text"] = argument["text"]
                members["channel"] = argument["channel"] ?? subject.conversation.map { .string($0.channel) }
                request = .object(members)
            }
            var outbound = try request.decode(as: Outbound.Request.self)
            outbound.idempotencyKey = trigger.messageID.map { "automation:\(rule.id):\($0)" }
            let result = try Outbound(services: services).send(outbound, tenant: tenant, actor: "automation:\(rule.name)")
            if result.status == "blocked" { throw AutomationError("the policy blocked the message: \(result.reason ?? "")") }
            return false
        case "send_webhook":
            let url = argument["url"]?.stringValue ?? ""
            guard EgressPolicy(allowed: tenant.manifest.egress).permits(url) else {
                throw AutomationError("\(url) is not in the tenant's egress allow-list")
            }
            let body = try JSON.object([
                "event": .string(trigger.event), "rule": .string(rule.name),
                "contact": subject.contact.map { try JSON(encoding: $0) } ?? .null,
                "conversation_id": subject.conversation.map { .string($0.id) } ?? .null,
            ]).serializedBytes()
            let http = services.http, logger = services.logger
            // A blocking libcurl call: on NIO's thread pool, never on Swift's cooperative threads.
            NIOThreadPool.singleton.submit { state in
                guard case .active = state else { return }
                do {
                    let response = try http.perform(.init(method: "POST", url: url, headers: ["Content-Type": "application/json"], body: body))
                    if response.status >= 300 { logger.warning("automation webhook answered \(response.status)", metadata: ["url": "\(url)"]) }
                } catch {
                    logger.warning("automation webhook failed: \(error)", metadata: ["url": "\(url)"])
                }
            }
            return false
        case "emit_plugin_event":
            services.events.publish(TenantEvent(tenantID: tenantID, type: argument["type"]?.stringValue ?? "", data: argument["data"] ?? .null, source: nil))
            return false
        default:
            throw AutomationError("unknown action \(name)")
        }
    }

    private func log(_ tenantID: String, _ rule: AutomationRule, _ trigger: Trigger, _ subject: String?, _ outcome: String, _ details: JSON) {
        do {
            try services.automation.logRun(tenantID: tenantID, ruleID: rule.id, event: trigger.event, subject: subject, outcome: outcome, details: details)
        } catch {
            services.logger.error("automation run not logged: \(error)")
        }
    }
}

struct AutomationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
