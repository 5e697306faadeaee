import SwitchboardJSON

/// The OpenAPI 3.1 document of the core API, built from the routes as they are registered,
/// plus the routes the tenant's plugins declare.
enum OpenAPIDocument {
    /// The response "schema" of a route that answers with a file's bytes rather than JSON.
    static let fileResponse = "(file)"

    static func build(routes: [APIRouteDescription], tenant: Tenant?) -> JSON {
        var paths: [String: [String: JSON]] = [:]
        for route in routes {
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = operation(route)
        }
        for instance in tenant?.instances ?? [] {
            // Console pages are HTML behind the console session, not part of the API.
            for route in instance.plugin.routes where !route.isConsolePage {
                paths[route.path, default: [:]][route.method.lowercased()] = pluginOperation(route, plugin: instance.plugin.id)
            }
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Switchboard tenant API",
                "version": "1.0.0",
                "description": "The tenant-scoped REST API. The tenant is chosen by the request's Host. Errors are RFC 9457 problem details.",
            ],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "An API token (sbt_…) of this tenant."]],
                "schemas": .object(OpenAPISchemas.all),
                "responses": .object(problemResponses),
            ],
        ]
    }

    private static func operation(_ route: APIRouteDescription) -> JSON {
        var operation: [String: JSON] = [
            "summary": .string(route.summary),
            "tags": [.string(route.tag)],
            "operationId": .string(operationID(route.method.rawValue, route.path)),
        ]
        var parameters = pathParameters(route.path)
        if route.method == .get, route.responseSchema?.hasSuffix("Page") == true {
            parameters.append(queryParameter("limit", "integer", "Page size, 1 to 200 (default 50)."))
            parameters.append(queryParameter("cursor", "string", "The next_cursor of the previous page."))
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let schema = route.requestSchema {
            operation["requestBody"] = [
                "required": true, "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schema)")]]],
            ]
        }
        var success: [String: JSON] = ["description": "Success"]
        if route.responseSchema == fileResponse {
            success["content"] = ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]
        } else if let schema = route.responseSchema, route.successStatus != 204 {
            success["content"] = ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schema)")]]]
        }
        var responses: [String: JSON] = [String(route.successStatus): .object(success)]
        if let permission = route.permission {
            operation["security"] = [["bearer": []]]
            operation["x-permission"] = .string(permission)
            responses["401"] = ["$ref": "#/components/responses/Unauthorized"]
            responses["403"] = ["$ref": "#/components/responses/Forbidden"]
        }
        if route.path.contains("{") { responses["404"] = ["$ref": "#/components/responses/NotFound"] }
        if route.requestSchema != nil || route.responseSchema?.hasSuffix("Page") == true {
            responses["422"] = ["$ref": "#/components/responses/ValidationFailed"]
        }
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    private static func pluginOperation(_ route: PluginRoute, plugin: String) -> JSON {
        var operation: [String: JSON] = [
            "summary": .string("\(route.method) \(route.path), served by plugin \(plugin)"),
            "tags": [.string("plugin:\(plugin)")],
            "operationId": .string(operationID(route.method, route.path)),
            "x-permission": .string(route.permission),
            "x-plugin": .string(plugin),
            "responses": [
                "200": ["description": "The plugin's response"],
                "401": ["$ref": "#/components/responses/Unauthorized"],
                "403": ["$ref": "#/components/responses/Forbidden"],
            ],
        ]
        if route.permission != PluginRoute.publicPermission { operation["security"] = [["bearer": []]] }
        if let cli = route.cli { operation["x-cli"] = .string("switchboard \(cli)") }
        let parameters = pathParameters(route.path)
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if ["POST", "PUT", "PATCH"].contains(route.method) {
            operation["requestBody"] = ["content": ["application/json": ["schema": ["type": "object"]]]]
        }
        return .object(operation)
    }

    private static func pathParameters(_ path: String) -> [JSON] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { segment in
            ["name": .string(String(segment.dropFirst().dropLast())), "in": "path", "required": true, "schema": ["type": "string"]]
        }
    }

    private static func queryParameter(_ name: String, _ type: String, _ description: String) -> JSON {
        ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": ["type": .string(type)]]
    }

    private static func operationID(_ method: String, _ path: String) -> String {
        let words = path.split(separator: "/").filter { $0 != "api" && $0 != "v1" }.map { segment -> String in
            segment.hasPrefix("{") ? "by_" + segment.dropFirst().dropLast() : String(segment)
        }
        return ([method.lowercased()] + words).joined(separator: "_").replacingOccurrences(of: "-", with: "_")
    }

    private static let problemResponses: [String: JSON] = {
        func problem(_ description: String) -> JSON {
            ["description": .string(description), "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]
        }
        return [
            "Unauthorized": problem("No valid bearer token of this tenant"),
            "Forbidden": problem("The token's role lacks the permission"),
            "NotFound": problem("No such resource in this tenant"),
            "ValidationFailed": problem("The input is invalid; errors lists each field"),
        ]
    }()
}
