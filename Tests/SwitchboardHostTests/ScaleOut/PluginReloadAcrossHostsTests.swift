import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

extension ScaleOutTests {
    @Suite("A plugin reloaded on one host is reloaded on the others")
    struct PluginReloadAcrossHostsTests {
        @Test("the reload call reaches one host; the other serves the new version within seconds, through the database")
        func reloadSpreads() async throws {
            try await PostgresTestServer.withSchema { url in
                let plugins = try TestEnvironment.temporaryDirectory(), signals = try TestEnvironment.temporaryDirectory()
                try PluginHotSwapTests.install(version: "1.0.0", in: plugins)
                let setup = try TestEnvironment.host(
                    manifests: ["swap": PluginHotSwapTests.manifest(signals: signals, isolation: "inline")],
                    adminToken: HostProcessFleet.adminToken
                ) {
                    $0.database = .postgres(url: url)
                    $0.pluginsDirectory = plugins.path
                }
                let a = try await HostProcessFleet.start(like: setup)
                let b = try await HostProcessFleet.start(like: setup)
                defer {
                    a.stop()
                    b.stop()
                }
                func version(on host: HostProcess) async throws -> JSON? {
                    try await host.send(.get, "/api/version", host: "swap.localhost").json["version"]
                }
                let before = (try await version(on: a), try await version(on: b))
                #expect(before.0 == "1.0.0" && before.1 == "1.0.0")
                try #require(try await HostProcessFleet.waitForListeners(2, on: setup.services.database), "the hosts' event relays never listened")

                try PluginHotSwapTests.install(version: "2.0.0", in: plugins)
                let reload = try await a.send(.post, "/admin/v1/tenants/swap/plugins/versioned/reload", token: HostProcessFleet.adminToken)
                #expect(reload.status == .ok && reload.json["plugin"]?["version"] == "2.0.0")
                let onA = try await version(on: a)
                #expect(onA == "2.0.0")
                var spread = false
                for _ in 0..<100 where !spread {
                    spread = try await version(on: b) == "2.0.0"
                    if !spread { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(spread, "host B still serves 1.0.0:\n\(b.output)")
                let audit = try setup.services.database.read {
                    try $0.query("SELECT actor FROM audit_log WHERE tenant_id = 'swap' AND action = 'plugin_reloaded' ORDER BY actor", [])
                }.compactMap { $0.string("actor") }
                #expect(audit == ["platform-admin", "platform-admin (through another host)"], "each host audits its own reload once")
            }
        }

        @Test("a host that heard of no reload catches up at its next sync, once; a host started later does not reload it again")
        func reloadIsDurable() async throws {
            let plugins = try TestEnvironment.temporaryDirectory(), signals = try TestEnvironment.temporaryDirectory()
            try PluginHotSwapTests.install(version: "1.0.0", in: plugins)
            let a = try TestEnvironment.host(manifests: ["swap": PluginHotSwapTests.manifest(signals: signals, isolation: "inline")]) {
                $0.pluginsDirectory = plugins.path
            }
            // Host B shares host A's SQLite database: no event relay runs between them.
            let b = try SwitchboardHost.start(a.configuration, logger: TestEnvironment.logger)
            func version(_ host: SwitchboardHost) -> String? {
                host.registry.tenant(slug: "swap")?.instance(of: "versioned")?.plugin.version
            }
            func reloads() throws -> Int {
                try a.services.audit.entries(tenantID: "swap", action: "plugin_reloaded").count
            }
            #expect(version(a) == "1.0.0" && version(b) == "1.0.0")

            try PluginHotSwapTests.install(version: "2.0.0", in: plugins)
            let tenant = try #require(a.registry.tenant(slug: "swap"))
            try a.registry.reload(tenant, pluginID: "versioned", actor: "platform-admin")
            #expect(version(a) == "2.0.0" && version(b) == "1.0.0")

            try b.registry.sync()
            #expect(version(b) == "2.0.0")
            try a.registry.sync()
            try b.registry.sync()
            #expect(try reloads() == 2, "A reloaded once when asked and B once at its sync; neither again")

            // A host started after the reload loads the plugins directory's build (here the library this process
            // has loaded already: dlopen shares it) and takes the recorded reload as done.
            let c = try SwitchboardHost.start(a.configuration, logger: TestEnvironment.logger)
            try c.registry.sync()
            #expect(try reloads() == 2, "C had nothing to reload")
        }
    }
}
