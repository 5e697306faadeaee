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
        let running = try host.runningTenant(tenant)
        let components = URLComponents(string: path)
        let routePath = components?.path ?? path
        guard let (route, instance, parameters) = running.route(method: method.uppercased(), path: routePath) else {
            throw ValidationError("no plugin of \(tenant) serves \(method.uppercased()) \(routePath)")
        }
        if let body, (try? JSON.parse(body)) == nil { throw ValidationError("--body is not valid JSON") }
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let result = instance.callAsOperator(
            method: method.uppercased(), path: routePath, route: route, parameters: parameters, query: query, body: Array((body ?? "").utf8))
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
