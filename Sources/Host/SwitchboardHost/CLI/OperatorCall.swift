import Foundation
import ArgumentParser
import SwitchboardJSON

extension PluginInstance {
    /// Calls one of this instance's routes from the shell as the platform operator (every permission), the way
    /// the HTTP server would: the reply is `{status, headers, json | body | body_base64}`.
    func callAsOperator(method: String, path: String, route: PluginRoute, parameters: [String: String] = [:], query: [String: String] = [:], body: [UInt8]) -> CallResult {
        handleHTTP([
            "method": .string(method), "path": .string(path), "route": .string(route.path),
            "params": .object(parameters.mapValues(JSON.string)), "query": .object(query.mapValues(JSON.string)), "headers": [:],
            "body_base64": .string(Data(body).base64EncodedString()),
            "identity": ["kind": "user", "id": "cli", "name": "cli", "role": "admin", "permissions": ["*"]],
        ])
    }
}

extension SwitchboardHost {
    /// The running tenant `slug`, or a usage error naming the known ones.
    func runningTenant(_ slug: String) throws -> Tenant {
        guard let running = registry.tenant(slug: slug) else {
            throw ValidationError("no running tenant \(slug); known: \(registry.active.map(\.slug).joined(separator: ", "))")
        }
        return running
    }
}
