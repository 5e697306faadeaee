import CPluginABI
import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Plugin loading and the C ABI")
struct PluginLoadingTests {
    @Test("all four Swift plugins and the C plugin load with their descriptors")
    func allPluginsLoad() throws {
        let catalog = PluginCatalog(directory: TestEnvironment.pluginsDirectory, logger: TestEnvironment.logger)
        for id in ["tutorbot", "leadqualifier", "mrdj-crm", "chargecars-comms", "hello-c", "echo-swift"] {
            let plugin = try #require(catalog.resolve(id: id), "plugin \(id) did not load from \(catalog.directory)")
            #expect(plugin.abiMajor == Int(SB_ABI_MAJOR))
            #expect(!plugin.version.isEmpty)
        }
        let hello = try #require(catalog.resolve(id: "hello-c"))
        #expect(hello.capabilities.names == ["flows", "http_routes", "jobs"])
        #expect(hello.routes == [PluginRoute(method: "GET", path: "/api/hello", permission: "contacts:read")])
    }

    @Test("a plugin built for another ABI major is refused with a clear message")
    func wrongABIVersionIsRefused() throws {
        let path = try TestEnvironment.compileFixture("wrong_abi")
        #expect {
            try PluginLoader.load(path: path)
        } throws: { error in
            guard case .abiMismatch(_, let plugin, let major, _) = error as? PluginLoadError else { return false }
            let message = "\(error)"
            return plugin == "2.0" && major == 1 && message.contains("built for plugin ABI 2.0")
                && message.contains("this host speaks ABI 1.")
        }
    }

    @Test("a library without the entry symbol, a NULL entry and a non-library file are refused")
    func malformedLibrariesAreRefused() throws {
        let noEntry = try TestEnvironment.compileFixture("no_entry")
        #expect(throws: PluginLoadError.self) { try PluginLoader.load(path: noEntry) }
        do {
            _ = try PluginLoader.load(path: noEntry)
        } catch {
            #expect("\(error)".contains("does not export switchboard_plugin_entry_v1"))
        }

        let nullEntry = try TestEnvironment.compileFixture("null_entry")
        do {
            _ = try PluginLoader.load(path: nullEntry)
            Issue.record("a NULL entry point loaded")
        } catch {
            #expect("\(error)".contains("returned NULL"))
        }

        let text = try TestEnvironment.temporaryDirectory().appendingPathComponent("libtext.so")
        try "not an ELF file".write(to: text, atomically: true, encoding: .utf8)
        do {
            _ = try PluginLoader.load(path: text.path)
            Issue.record("a text file loaded as a plugin")
        } catch {
            #expect("\(error)".contains("is not a loadable shared library"))
        }
    }

    @Test("a NULL required function or a capability without its function is refused")
    func incompleteDescriptorsAreRefused() throws {
        let missing = try TestEnvironment.compileFixture("missing_function")
        do {
            _ = try PluginLoader.load(path: missing)
            Issue.record("a descriptor without handle_event loaded")
        } catch {
            #expect("\(error)".contains("required function handle_event"))
        }
        let routeless = try TestEnvironment.compileFixture("routes_without_handler")
        do {
            _ = try PluginLoader.load(path: routeless)
            Issue.record("http_routes without handle_http loaded")
        } catch {
            #expect("\(error)".contains("http_routes capability but leaves handle_http NULL"))
        }
    }

    @Test("a plugin built against ABI 1.0 keeps loading and running")
    func olderMinorLoads() throws {
        let plugin = try PluginLoader.load(path: try TestEnvironment.compileFixture("old_minor"))
        #expect(plugin.id == "old-minor" && plugin.abiMinor == 0)
        let host = try TestEnvironment.host(manifests: [:])
        let tenant = try TenantManifest(slug: "t1", name: "T1", domains: ["t1.localhost"], locale: "en", timezone: "UTC")
        let instance = try PluginInstance(plugin: plugin, tenant: tenant, config: .object([:]), services: host.services)
        #expect(instance.handleEvent(.object(["type": "ping"])).json == .object(["old": .bool(true)]))
    }

    @Test("the header declares the entry point: a plugin defining it with another signature does not compile")
    func entrySignatureIsChecked() throws {
        #expect(throws: Never.self, "the same file with the right signature compiles") {
            try TestEnvironment.compileFixture("wrong_signature", defines: ["RIGHT_SIGNATURE"])
        }
        do {
            _ = try TestEnvironment.compileFixture("wrong_signature")
            Issue.record("an entry point with the wrong signature compiled")
        } catch let failure as TestEnvironment.FixtureError {
            #expect(failure.message.contains("switchboard_plugin_entry_v1") && failure.message.contains("conflicting types"), "\(failure.message)")
        }
    }

    @Test("a plugin that needs a newer host minor is refused with that reason")
    func newerMinorIsRefused() throws {
        let path = try TestEnvironment.compileFixture("needs_newer_host")
        #expect {
            try PluginLoader.load(path: path)
        } throws: { error in
            guard case .needsNewerHost(_, let minor, _, _) = error as? PluginLoadError else { return false }
            return minor == Int(SB_ABI_MINOR) + 1 && "\(error)".contains("needs host ABI ≥ 1.\(Int(SB_ABI_MINOR) + 1)")
        }
    }

    @Test("a plugin's subscriptions: its list, checked at load; without one, what 1.2 delivered")
    func subscriptionsAreRead() throws {
        let catalog = PluginCatalog(directory: TestEnvironment.pluginsDirectory, logger: TestEnvironment.logger)
        let hello = try #require(catalog.resolve(id: "hello-c"))
        #expect(hello.subscription.patterns == ["message.received"] && !hello.subscription.pluginEvents)
        #expect(hello.subscription.matches("message.received", emitted: false) && !hello.subscription.matches("message.sent", emitted: false))
        let mrdj = try #require(catalog.resolve(id: "mrdj-crm"))
        #expect(mrdj.subscription.patterns.isEmpty && !mrdj.subscription.matches("lead.qualified", emitted: true), "[] is nothing")
        let legacy = try PluginLoader.load(path: try TestEnvironment.compileFixture("old_minor"))
        #expect(legacy.subscription.matches("lead.qualified", emitted: true), "a 1.0 plugin still gets other plugins' events")
        #expect(!legacy.subscription.matches("message.received", emitted: false), "and message.received only with flows")

        let prefixed = try EventSubscription(patterns: ["message.*", "lead.qualified"])
        #expect(prefixed.matches("message.status", emitted: false) && prefixed.matches("lead.qualified", emitted: true))
        #expect(!prefixed.matches("messages.x", emitted: false) && !prefixed.matches("contact.updated", emitted: false))
        for bad in ["", "Message.Received", "message..x", "message.*.x", "**"] {
            #expect(throws: EventSubscription.Invalid.self, "\(bad)") { try EventSubscription(patterns: [bad]) }
        }
        let built = try EventPipelineTests.plugins([("recorder", #"["message.*", "NOT AN EVENT"]"#)])
        do {
            _ = try PluginLoader.load(path: built + "/librecorder.so")
            Issue.record("a descriptor with an invalid subscription loaded")
        } catch {
            #expect("\(error)".contains("subscription \"NOT AN EVENT\" is not an event name"))
        }
    }

    @Test("a refused library is skipped and the others in the directory still load")
    func badLibraryDoesNotStopOthers() throws {
        let directory = try TestEnvironment.temporaryDirectory()
        let bad = try TestEnvironment.compileFixture("wrong_abi")
        try FileManager.default.copyItem(atPath: bad, toPath: directory.appendingPathComponent("libFuture.so").path)
        let good = (TestEnvironment.pluginsDirectory as NSString).appendingPathComponent("libHelloC.so")
        try FileManager.default.copyItem(atPath: good, toPath: directory.appendingPathComponent("libHelloC.so").path)
        let catalog = PluginCatalog(directory: directory.path, logger: TestEnvironment.logger)
        #expect(catalog.resolve(id: "hello-c") != nil)
        #expect(catalog.failures.count == 1)
        #expect(catalog.failures.first?.path.hasSuffix("libFuture.so") == true)
    }

    @Test("the header is pinned: plugin_abi.h matches the SHA-256 recorded for its version")
    func headerIsPinned() throws {
        let root = TestEnvironment.repositoryRoot
        let header = try Data(contentsOf: root.appendingPathComponent("Sources/PluginAPI/CPluginABI/include/plugin_abi.h"))
        let text = String(decoding: header, as: UTF8.self)
        func define(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix("#define \(name) ") }?.split(separator: " ").last.map(String.init)
        }
        let version = "\(try #require(define("SB_ABI_MAJOR"))).\(try #require(define("SB_ABI_MINOR")))"
        #expect(version == "\(SB_ABI_MAJOR).\(SB_ABI_MINOR)")
        let pins = try String(contentsOf: root.appendingPathComponent("Sources/PluginAPI/CPluginABI/abi-pins.txt"), encoding: .utf8)
        var pinned: [String: String] = [:]
        for line in pins.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { pinned[String(parts[0])] = String(parts[1]) }
        }
        let recorded = try #require(pinned[version], "ABI \(version) has no pin in abi-pins.txt: append one when releasing it")
        #expect(
            Crypto.sha256Hex(Array(header)) == recorded,
            "plugin_abi.h changed without an ABI version bump: bump SB_ABI_MINOR (append-only) or SB_ABI_MAJOR, and append its pin")
    }

    @Test("host API structs keep their v1.0 layout, and 1.3 appends to the descriptor")
    func layoutIsStable() {
        #expect(MemoryLayout<sb_plugin_descriptor>.size >= PluginLoader.descriptorSizeV1_0)
        #expect(MemoryLayout<sb_host_api>.offset(of: \sb_host_api.log) == 8)
        #expect(MemoryLayout<sb_plugin_descriptor>.offset(of: \sb_plugin_descriptor.create_instance) == 40)
        #expect(MemoryLayout<sb_plugin_descriptor>.offset(of: \sb_plugin_descriptor.subscriptions_json) == PluginLoader.descriptorSizeV1_0)
    }
}

extension TenantManifest {
    /// A manifest for tests that build instances by hand.
    init(slug: String, name: String, domains: [String], locale: String, timezone: String) throws {
        self.init(
            slug: slug, name: name, domains: domains, locale: locale, timezone: timezone, businessHours: [:],
            branding: Branding(name: name, logoURL: nil, primaryColor: "#000000", accentColor: "#ffffff", emailSender: nil),
            plugins: [], roles: [:], egress: [], secrets: [:], attributes: AttributeSchema(), automationRules: [], channels: [:],
            messaging: MessagingSettings(), googleCalendar: nil, source: "")
    }
}
