import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Tenant manifests")
struct ManifestTests {
    @Test("the four demo manifests are valid")
    func demoManifestsAreValid() throws {
        let catalog = PluginCatalog(directory: TestEnvironment.pluginsDirectory, logger: TestEnvironment.logger)
        let validator = ManifestValidator(catalog: catalog, takenDomains: [:])
        for name in ["tutorbot", "leadqualifier", "mrdj", "chargecars"] {
            let yaml = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/\(name).yaml"), encoding: .utf8)
            let manifest = try validator.validate(yaml: yaml)
            #expect(manifest.domains.contains { $0.hasSuffix(".localhost") })
        }
    }

    @Test("an invalid manifest lists every error with its path and line")
    func everyErrorWithPathAndLine() throws {
        let yaml = """
            slug: x
            name: Broken
            domains:
              - ok.localhost
              - "https://bad/"
            timezone: Europe/Atlantis
            locale: dutch
            business_hours:
              mon: "17:00-09:00"
              funday: "10:00-11:00"
            branding:
              primary_color: blue
              email_sender: nobody
            plugins:
              - id: echo-swift
                config:
                  mollie_api_key: live_abc
              - id: echo-swift
            secrets:
              smtp_password: hunter2
            colour: red
            """
        let catalog = PluginCatalog(directory: TestEnvironment.pluginsDirectory, logger: TestEnvironment.logger)
        do {
            _ = try ManifestValidator(catalog: catalog, takenDomains: [:]).validate(yaml: yaml)
            Issue.record("the broken manifest validated")
        } catch let error as ManifestValidationError {
            let found = Dictionary(error.issues.map { ($0.path, $0.line) }, uniquingKeysWith: { a, _ in a })
            let expected: [String: Int] = [
                "slug": 1, "domains[1]": 5, "timezone": 6, "locale": 7, "business_hours.mon": 9,
                "business_hours.funday": 10, "branding.primary_color": 12, "branding.email_sender": 13,
                "plugins[0].config.mollie_api_key": 17, "plugins[1].id": 18, "secrets.smtp_password": 20, "colour": 21,
            ]
            for (path, line) in expected {
                #expect(found[path] == line, "expected an issue at \(path) on line \(line); got \(error.issues)")
            }
            #expect(error.issues.count == expected.count, "\(error.issues)")
        }
    }

    @Test("broken YAML is reported with its line")
    func brokenYAML() {
        do {
            _ = try ManifestParser.parse("slug: a\nname: [unclosed\n")
            Issue.record("broken YAML parsed")
        } catch let error as ManifestValidationError {
            #expect(error.issues.count == 1)
            #expect(error.issues[0].line != nil)
            #expect(error.issues[0].message.hasPrefix("not valid YAML"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("plugin config keeps YAML types as JSON")
    func configTypes() throws {
        let yaml = """
            slug: typed
            name: Typed
            domains: [typed.localhost]
            plugins:
              - id: tutorbot
                config:
                  count: 3
                  ratio: 0.5
                  enabled: true
                  name: "007"
                  list: [a, b]
                  nothing: null
            """
        let (manifest, _) = try ManifestParser.parse(yaml)
        let config = manifest.plugins[0].config
        #expect(config["count"] == .number(3))
        #expect(config["ratio"] == .number(0.5))
        #expect(config["enabled"] == .bool(true))
        #expect(config["name"] == .string("007"))
        #expect(config["list"] == .array(["a", "b"]))
        #expect(config["nothing"] == .null)
    }

    @Test("two plugins of one tenant claiming the same route is a validation error")
    func routeClash() {
        let a = PluginRoute(method: "GET", path: "/api/items/{id}", permission: "x:read")
        let b = PluginRoute(method: "GET", path: "/api/items/special", permission: "x:read")
        let c = PluginRoute(method: "POST", path: "/api/items/special", permission: "x:write")
        #expect(a.clashes(with: b))
        #expect(!a.clashes(with: c))
        #expect(PluginRoute(method: "GET", path: "/api/v1/contacts", permission: "x:read").problem != nil)
        #expect(a.match("/api/items/42") == ["id": "42"])
        #expect(a.match("/api/items/42/more") == nil)
    }
}
