import Hummingbird
import SwitchboardJSON

/// `/api/v1/labels`: the label catalogue with usage counts.
struct LabelRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/labels", "List labels with how many contacts carry each", tag: "labels", permission: "contacts:read",
                response: "LabelList") { _, context in
            try json(["data": try await context.perform { try $0.services.labels.list(tenantID: $0.slug) }])
        }

        api.add(.post, "/api/v1/labels", "Create or update a label", tag: "labels", permission: "labels:write", request: "Label",
                response: "Label", status: 201) { request, context in
            var body = try await JSONBody.read(request, context, allowed: ["name", "color", "description"])
            let name = body.string("name", required: true, pattern: Formats.label)
            let color = body.string("color", pattern: Formats.color) ?? "#6b7280"
            let description = body.string("description", maxLength: 500)
            try body.finish()
            let label = Label(name: name ?? "", color: color, description: description, count: nil)
            try await context.perform { try $0.services.labels.upsert(tenantID: $0.slug, label: label) }
            return try json(label, status: .created)
        }

        api.add(.delete, "/api/v1/labels/{name}", "Delete a label everywhere", tag: "labels", permission: "labels:write", status: 204) { _, context in
            let name = try context.parameter("name")
            guard try await context.perform({ try $0.services.labels.delete(tenantID: $0.slug, name: name) }) else {
                throw Problem.notFound("Label \(name)")
            }
            return Response(status: .noContent)
        }
    }
}
