import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

extension ScaleOutTests {
    @Suite("A plugin reloaded on one host is reloaded on the others")
    struct PluginReloadAcrossHostsTests {
        @Test("the reload call reaches one host; the other serves the new version within seconds, through the event relay")
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
    }
}
