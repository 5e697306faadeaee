import Foundation
import Logging
import SwitchboardJSON

/// Runs a tenant's automation rules on its recorded events.
///
/// Each event that an active rule triggers on gets one `event.rules` job (`EventLog`), in the lane of its contact,
/// so a contact's rules run in commit order and once per event. A request that changed a contact runs the rules of
/// its events before it answers (`settle`), so an API caller sees their effect in the next read; the scheduler runs
/// the rest. A rule's own changes raise events of their own, caused by the event that ran it: a rule fires at most
/// once in such a chain, and chains stop at `maxDepth`.
public struct AutomationEngine: Sendable {
    public let services: HostServices
    public static let maxDepth = 5

    /// The worker name of rules run by a request rather than by the scheduler.
    static let inlineWorker = "inline:\(ProcessInfo.processInfo.processIdentifier)"

    /// Runs, now and here, the pending rule jobs of the contact's lane, and those their changes raise, as long as each
    /// is next in line; stops at one another worker holds or that waits for a retry (the scheduler runs it then).
    public func settle(contactID: String, tenant: Tenant, now: @Sendable () -> Int64 = Clock.nowMillis) {
        let lane = "rules:\(contactID)"
        for _ in 0..<(4 * Self.maxDepth * 8) {
            let claimed: ClaimedJob?
            do {
                claimed = try services.jobs.claimLaneHead(
                    tenantID: tenant.slug, lane: lane, workerID: Self.inlineWorker, now: now(), lease: .seconds(60))
            } catch {
                services.logger.error("claiming rule jobs failed: \(error)", metadata: ["tenant": "\(tenant.slug)"])
                return
            }
            guard let job = claimed else { return }
            let resolution: JobResolution
            do {
                try process(eventID: job.record.payload["event_id"]?.stringValue ?? "", tenant: tenant)
                resolution = .done
            } catch {
                let wait = Backoff().delay(afterAttempt: job.attempt).inMilliseconds
                resolution = job.attempt >= job.record.maxAttempts ? .dead(error: "\(error)") : .retry(at: now() + wait, error: "\(error)")
            }
            do {
                _ = try services.jobs.resolve(job, as: resolution, now: now())
            } catch {
                services.logger.error("recording a rule job failed; it runs again when its lease expires: \(error)")
                return
            }
        }
    }

    /// Runs the rules that the recorded event `eventID` triggers (the `event.rules` job). A rule that already ran for
    /// the event (a retried job) does not run again. Throws when the rules or the event cannot be read.
    public func process(eventID: String, tenant: Tenant) throws {
        guard let stored = try services.events.find(tenantID: tenant.slug, id: eventID) else { return }
        let event = stored.event
        let rules = try triggered(by: event, tenantID: tenant.slug)
        guard !rules.isEmpty else { return }
        if stored.depth >= Self.maxDepth {
            services.logger.warning("automation chain stopped at depth limit", metadata: ["tenant": "\(tenant.slug)", "event": "\(event.id)"])
            return
        }
        let alreadyRun = try services.automation.rulesRun(tenantID: tenant.slug, eventIDs: [event.id])
        let firedInChain = try services.automation.rulesRun(
            tenantID: tenant.slug, eventIDs: try services.events.causes(of: stored, limit: Self.maxDepth))
        let subject = try subject(for: event, tenantID: tenant.slug)
        let subjectID = event.conversationID ?? event.contactID
        for rule in rules where !alreadyRun.contains(rule.id) && ConditionEvaluator.matches(rule.conditions, subject) {
            if firedInChain.contains(rule.id) {
                log(tenant.slug, rule, event, subjectID, "loop_prevented", ["depth": .number(Double(stored.depth))])
                continue
            }
            let actor = Actor("automation:\(rule.name)", causeID: event.id, depth: stored.depth + 1)
            var applied: [JSON] = []
            var failure: String?
            for action in rule.actions {
                do {
                    try apply(action, rule: rule, event: event, subject: subject, actor: actor, tenant: tenant)
                    applied.append(action)
                } catch {
                    failure = "\(error)"
                    break
                }
            }
            var details: [String: JSON] = ["depth": .number(Double(stored.depth)), "actions": .array(applied)]
            if let failure { details["error"] = .string(failure) }
            log(tenant.slug, rule, event, subjectID, failure == nil ? "applied" : "failed", .object(details))
        }
    }

    /// The active rules whose event is `event`'s type or one of its older names, in creation order.
    /// `conversation_status_changed` only fires when the status changed.
    private func triggered(by event: TenantEvent, tenantID: String) throws -> [AutomationRule] {
        try EventCatalogue.ruleEvents(for: event.type).flatMap { name -> [AutomationRule] in
            if name == "conversation_status_changed", event.data["changes"]?["status"] == nil { return [] }
            return try services.automation.rules(tenantID: tenantID, event: name, activeOnly: true)
        }
    }

    private func subject(for event: TenantEvent, tenantID: String) throws -> AutomationSubject {
        let contact = try event.contactID.flatMap { try services.contacts.find(tenantID: tenantID, .id($0)) }
        let conversation = try event.conversationID.flatMap { try services.conversations.find(tenantID: tenantID, id: $0) }
        let messageID = event.data["message_id"]?.stringValue ?? event.data["message"]?["id"]?.stringValue
        let message = try messageID.flatMap { id in
            try services.database.read {
                try $0.query("SELECT content, direction FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first
            }
        }
        return AutomationSubject(
            contact: contact, conversation: conversation, messageContent: message?.string("content"),
            messageDirection: message?.string("direction"))
    }

    /// Applies one action as `actor`, whose changes are caused by `event`.
    private func apply(_ action: JSON, rule: AutomationRule, event: TenantEvent, subject: AutomationSubject, actor: Actor, tenant: Tenant) throws {
        guard let (name, argument) = action.objectValue?.first else { return }
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
            guard !contact.labels.contains(label) else { return }
            _ = try services.contacts.update(tenantID: tenantID, id: contact.id, addLabels: [label], actor: actor)
        case "remove_label":
            let contact = try requireContact()
            let label = argument.stringValue ?? ""
            guard contact.labels.contains(label) else { return }
            _ = try services.contacts.update(tenantID: tenantID, id: contact.id, removeLabels: [label], actor: actor)
        case "set_attribute":
            let key = argument["name"]?.stringValue ?? "", value = argument["value"] ?? .null
            if argument["target"]?.stringValue == "conversation" {
                let conversation = try requireConversation()
                _ = try services.conversations.update(tenantID: tenantID, id: conversation.id, attributes: [key: value], actor: actor)
                return
            }
            let contact = try requireContact()
            guard contact.attributes[key] != value else { return }
            _ = try services.contacts.update(tenantID: tenantID, id: contact.id, attributes: [key: value], actor: actor)
        case "assign_agent", "assign_team":
            let conversation = try requireConversation()
            let value = argument.stringValue
            _ = try services.conversations.update(
                tenantID: tenantID, id: conversation.id, assignee: name == "assign_agent" ? .some(value) : nil,
                team: name == "assign_team" ? .some(value) : nil, actor: actor)
        case "create_task":
            let hours: Double? = argument["due_in_hours"]?.doubleValue
            let dueAt: Int64? = hours.map { Clock.nowMillis() + Int64($0 * 3_600_000) }
            let task = TaskItem(
                title: argument["title"]?.stringValue ?? rule.name, description: argument["description"]?.stringValue,
                taskType: argument["task_type"]?.stringValue ?? "follow_up", priority: argument["priority"]?.stringValue ?? "normal",
                assignee: argument["assignee"]?.stringValue, contactID: subject.contact?.id,
                conversationID: subject.conversation?.id, dueAt: dueAt, createdBy: actor.name)
            _ = try services.tasks.create(tenantID: tenantID, task: task, actor: actor)
        case "send_message":
            let contact = try requireContact()
            var request: [String: JSON] = [
                "contact_id": .string(contact.id),
                "type": argument["template"] != nil ? "template" : "session_text",
                "variables": argument["variables"] ?? .object([:]),
            ]
            request["template_name"] = argument["template"]
            request["text"] = argument["text"]
            request["channel"] = argument["channel"] ?? subject.conversation.map { .string($0.channel) }
            var outbound = try JSON.object(request).decode(as: Outbound.Request.self)
            // A retried rule job finds the message it already sent instead of sending another.
            outbound.idempotencyKey = "automation:\(rule.id):\(event.id)"
            let result = try Outbound(services: services).send(outbound, tenant: tenant, actor: actor)
            if result.status == "blocked" { throw AutomationError("the policy blocked the message: \(result.reason ?? "")") }
        case "send_webhook":
            try sendWebhook(argument, rule: rule, event: event, subject: subject, tenant: tenant)
        case "emit_plugin_event":
            try services.database.transaction { connection in
                try services.events.record(
                    EventDraft(
                        argument["type"]?.stringValue ?? "", data: argument["data"] ?? .null, contactID: event.contactID,
                        conversationID: event.conversationID, source: actor.name),
                    tenantID: tenantID, actor: actor, in: connection)
            }
        default:
            throw AutomationError("unknown action \(name)")
        }
    }

    /// The job that POSTs a rule's webhook, retried with backoff when the receiver fails.
    static let webhookKind = "automation.webhook"

    /// Queues a POST of the event's subject to an allowed URL as a durable job, so a slow receiver holds up neither
    /// the rules nor the request that ran them.
    private func sendWebhook(_ argument: JSON, rule: AutomationRule, event: TenantEvent, subject: AutomationSubject, tenant: Tenant) throws {
        let url = argument["url"]?.stringValue ?? ""
        guard EgressPolicy(allowed: tenant.manifest.egress).permits(url) else {
            throw AutomationError("\(url) is not in the tenant's egress allow-list")
        }
        let body: JSON = [
            "event": .string(rule.event), "event_id": .string(event.id), "event_type": .string(event.type), "rule": .string(rule.name),
            "contact": try subject.contact.map { try JSON(encoding: $0) } ?? .null,
            "conversation_id": subject.conversation.map { .string($0.id) } ?? .null,
        ]
        _ = try services.jobs.schedule(
            tenantID: tenant.slug, pluginID: nil, kind: Self.webhookKind, runAt: Clock.nowMillis(),
            payload: ["url": .string(url), "body": body], uniqueKey: "webhook:\(rule.id):\(event.id)", maxAttempts: 5)
    }

    /// Registers the handler of `automation.webhook` jobs: a 2xx answer finishes the job, anything else retries it.
    static func registerJobs(_ services: HostServices) {
        services.hostJobs.register(kind: webhookKind) { job, tenant in
            guard let url = job.payload["url"]?.stringValue, let body = job.payload["body"] else {
                throw JobFailure.permanent("no url or body in the payload")
            }
            // The URL was checked when the rule ran; the manifest may have changed since.
            guard EgressPolicy(allowed: tenant.manifest.egress).permits(url) else {
                throw JobFailure.permanent("\(url) is no longer in the tenant's egress allow-list")
            }
            let response = try await services.http.send(
                .init(method: "POST", url: url, headers: ["Content-Type": "application/json"], body: try body.serializedBytes()))
            if response.status >= 300 { throw JobFailure.retry("\(url) answered \(response.status)") }
        }
    }

    private func log(_ tenantID: String, _ rule: AutomationRule, _ event: TenantEvent, _ subject: String?, _ outcome: String, _ details: JSON) {
        do {
            try services.automation.logRun(
                tenantID: tenantID, ruleID: rule.id, event: rule.event, eventID: event.id, subject: subject, outcome: outcome, details: details)
        } catch {
            services.logger.error("automation run not logged: \(error)")
        }
    }
}

struct AutomationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
