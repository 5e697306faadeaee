import Hummingbird
import SwitchboardJSON

/// `/api/v1/conversations`: conversations and their messages.
struct ConversationRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/conversations", "List conversations by status, contact_id, channel or assignee", tag: "conversations",
                permission: "conversations:read", response: "ConversationPage") { request, context in
            let page = try request.pageRequest()
            let filter = request.filters(["status", "contact_id", "channel", "assignee"])
            return try json(try await context.perform { try $0.services.conversations.list(tenantID: $0.slug, filter: filter, page: page) })
        }

        api.add(.get, "/api/v1/conversations/{id}", "Get a conversation", tag: "conversations", permission: "conversations:read",
                response: "Conversation") { _, context in
            let id = try context.parameter("id")
            guard let conversation = try await context.perform({ try $0.services.conversations.find(tenantID: $0.slug, id: id) }) else {
                throw Problem.notFound("Conversation \(id)")
            }
            return try json(conversation)
        }

        api.add(.patch, "/api/v1/conversations/{id}", "Change a conversation's status, assignee, team or attributes", tag: "conversations",
                permission: "conversations:write", request: "ConversationInput", response: "Conversation") { request, context in
            let tenant = try context.requireTenant()
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: ["status", "assignee", "team", "attributes"])
            let status = body.string("status", oneOf: Conversation.statuses)
            let assignee = body.string("assignee", maxLength: 200), team = body.string("team", maxLength: 200)
            let attributes = body.objectField("attributes") ?? [:]
            for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
                if let problem = AttributeSchema.problem(name: name, value: value, in: tenant.manifest.attributes.conversation) {
                    body.fail("attributes.\(name)", problem)
                }
            }
            try body.finish()
            let assigneeChange: String?? = body.has("assignee") ? .some(assignee) : nil
            let teamChange: String?? = body.has("team") ? .some(team) : nil
            let actor = context.actor
            let updated = try await context.perform { tenant -> Conversation? in
                guard let change = try tenant.services.conversations.update(
                    tenantID: tenant.slug, id: id, status: status, assignee: assigneeChange, team: teamChange, attributes: attributes,
                    actor: actor)
                else { return nil }
                tenant.automation.settle(contactID: change.after.contactID, tenant: tenant)
                return try tenant.services.conversations.find(tenantID: tenant.slug, id: id)
            }
            guard let updated else { throw Problem.notFound("Conversation \(id)") }
            return try json(updated)
        }

        api.add(.get, "/api/v1/conversations/{id}/messages", "List a conversation's messages, oldest first", tag: "conversations",
                permission: "conversations:read", response: "MessagePage") { request, context in
            let id = try context.parameter("id")
            let page = try request.pageRequest()
            return try json(try await context.perform { tenant -> Page<Message> in
                guard try tenant.services.conversations.find(tenantID: tenant.slug, id: id) != nil else { throw Problem.notFound("Conversation \(id)") }
                return try tenant.services.conversations.messages(tenantID: tenant.slug, conversationID: id, page: page)
            })
        }
    }
}
