import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SwitchboardHost

/// Serialized: each case parks a slow request on the plugin thread pool, which has only as many threads as cores.
@Suite("Plugin hot swap", .serialized)
struct PluginHotSwapTests {
    static let admin: HTTPFields = [.authorization: "Bearer test-admin-token"]

    /// Builds the `versioned` fixture at `version` and moves it over `libversioned.so` in `directory` (a rename, as a
    /// deployment should: a library still mapped is never written to).
    static func install(version: String, in directory: URL) throws {
        let built = try TestEnvironment.compileFixture("versioned", defines: ["VERSION=\"\(version)\""])
        let staged = directory.appendingPathComponent(".libversioned.so.new").path
        try FileManager.default.copyItem(atPath: built, toPath: staged)
        #expect(rename(staged, directory.appendingPathComponent("libversioned.so").path) == 0)
    }

    /// Polls for `file` for up to 30 s.
    static func waitFor(_ file: URL) async throws -> Bool {
        for _ in 0..<3000 {
            if FileManager.default.fileExists(atPath: file.path) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    static func manifest(signals: URL, isolation: String) -> String {
        """
        slug: swap
        name: Swap
        domains: [swap.localhost]
        timezone: Europe/Amsterdam
        plugins:
          - id: versioned
            isolation: \(isolation)
            config: {dir: "\(signals.path)"}
        """ + (isolation == "process" ? "\n    timeout_ms: 120000" : "")
    }

    @Test("reloading a plugin: a slow request in flight finishes on v1, new requests get v2, then v1 is destroyed", arguments: ["inline", "process"])
    func inFlightRequestsFinishOnTheOldVersion(isolation: String) async throws {
        let plugins = try TestEnvironment.temporaryDirectory(), signals = try TestEnvironment.temporaryDirectory()
        try Self.install(version: "1.0.0", in: plugins)
        let host = try TestEnvironment.host(manifests: ["swap": Self.manifest(signals: signals, isolation: isolation)]) {
            $0.pluginsDirectory = plugins.path
        }
        try await host.buildApplication().test(.router) { client in
            let swap = APIClient(client: client, host: "swap.localhost")
            #expect(try await swap.get("/api/version").json["version"] == "1.0.0")

            async let slow = swap.get("/api/slow")
            #expect(try await Self.waitFor(signals.appendingPathComponent("entered-1.0.0")), "the slow request reached v1")

            try Self.install(version: "2.0.0", in: plugins)
            try await client.execute(uri: "/admin/v1/tenants/swap/plugins/versioned/reload", method: .post, headers: Self.admin) { response in
                #expect(response.status == .ok)
                let body = try JSON.parse(String(buffer: response.body))
                #expect(body["plugin"]?["version"] == "2.0.0" && body["isolation"] == .string(isolation))
            }
            #expect(try await swap.get("/api/version").json["version"] == "2.0.0")
            #expect(!FileManager.default.fileExists(atPath: signals.appendingPathComponent("destroyed-1.0.0").path), "v1 is kept while a request runs on it")

            #expect(FileManager.default.createFile(atPath: signals.appendingPathComponent("gate").path, contents: nil))
            let finished = try await slow
            #expect(finished.status == .ok && finished.json["version"] == "1.0.0", "\(finished.text)")
            #expect(try await Self.waitFor(signals.appendingPathComponent("destroyed-1.0.0")), "v1 is destroyed once drained")
            #expect(!FileManager.default.fileExists(atPath: signals.appendingPathComponent("destroyed-2.0.0").path))
        }
        let audit = try host.services.audit.entries(tenantID: "swap", action: "plugin_reloaded")
        #expect(audit.count == 1 && audit.first?.details["from"] == "1.0.0" && audit.first?.details["to"] == "2.0.0")
    }

    @Test("a reload of an unknown tenant or plugin is 404, and a library that no longer loads leaves the tenant as it was")
    func badReloadsChangeNothing() async throws {
        let plugins = try TestEnvironment.temporaryDirectory(), signals = try TestEnvironment.temporaryDirectory()
        try Self.install(version: "1.0.0", in: plugins)
        let host = try TestEnvironment.host(manifests: ["swap": Self.manifest(signals: signals, isolation: "inline")]) {
            $0.pluginsDirectory = plugins.path
        }
        try await host.buildApplication().test(.router) { client in
            for path in ["/admin/v1/tenants/ghost/plugins/versioned/reload", "/admin/v1/tenants/swap/plugins/hello-c/reload"] {
                try await client.execute(uri: path, method: .post, headers: Self.admin) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            try "not a library".write(to: plugins.appendingPathComponent("libversioned.so"), atomically: true, encoding: .utf8)
            try await client.execute(uri: "/admin/v1/tenants/swap/plugins/versioned/reload", method: .post, headers: Self.admin) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("is not a loadable shared library"))
            }
            #expect(try await APIClient(client: client, host: "swap.localhost").get("/api/version").json["version"] == "1.0.0")
        }
    }
}
