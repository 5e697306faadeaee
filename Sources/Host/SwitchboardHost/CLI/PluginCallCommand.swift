import ArgumentParser
import Foundation
import SwitchboardJSON

/// `switchboard plugins call --tenant SLUG METHOD PATH [--body JSON]`: calls one of a tenant's plugin
/// routes from the shell as the platform operator (every permission), and prints the JSON answer.
/// For operations such as `switchboard plugins call --tenant tutorbot GET /api/tutorbot/audit`.
struct PluginCallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Call a tenant's plugin route as the operator and print the answer (e.g. GET /api/tutorbot/audit).")

    @OptionGroup var options: HostOptions
    @Option(help: "The tenant's slug.") var tenant: String
    @Argument(help: "The HTTP method: GET, POST, PUT, PATCH or DELETE.") var method: String
    @Argument(help: "The route's path, with its query, e.g. /api/tutorbot/slots?contact_id=…") var path: String
    @Option(help: "A JSON request body.") var body: String?

    func run() throws {
        var configuration = try options.configuration()
        configuration.tenantsDirectory = nil
        let host = try SwitchboardHost.start(configuration, logger: quietLogger())
        guard let running = host.registry.tenant(slug: tenant) else {
            throw ValidationError("no running tenant \(tenant); known: \(host.registry.active.map(\.slug).joined(separator: ", "))")
        }
        let components = URLComponents(string: path)
        let routePath = components?.path ?? path
        guard let (route, instance, parameters) = running.route(method: method.uppercased(), path: routePath) else {
            throw ValidationError("no plugin of \(tenant) serves \(method.uppercased()) \(routePath)")
        }
        if let body, (try? JSON.parse(body)) == nil { throw ValidationError("--body is not valid JSON") }
        var query: [String: JSON] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = .string(item.value ?? "") }
        let request: JSON = [
            "method": .string(method.uppercased()), "path": .string(routePath), "route": .string(route.path),
            "params": .object(parameters.mapValues(JSON.string)), "query": .object(query), "headers": [:],
            "body_base64": .string(Data((body ?? "").utf8).base64EncodedString()),
            "identity": ["kind": "user", "id": "cli", "name": "cli", "role": "admin", "permissions": ["*"]],
        ]
        let result = instance.handleHTTP(request)
        guard result.ok else {
            print("error: \(instance.plugin.id): \(result.errorMessage)")
            throw ExitCode(1)
        }
        let reply = result.json
        let output = reply["json"] ?? reply["body"] ?? .null
        if case .string(let text) = output { print(text) } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        }
        if let status = reply["status"]?.doubleValue, status >= 400 { throw ExitCode(1) }
    }
}
