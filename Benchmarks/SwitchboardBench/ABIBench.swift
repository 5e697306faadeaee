import Foundation
import Logging
import SwitchboardHost
import SwitchboardJSON

/// Plugin call overhead: one event with 1 KB of JSON into the Swift plugin (EchoSwift) and the C plugin
/// (HelloC) through the ABI, against the same work done directly in Swift (decode the event, encode the echo);
/// and the same calls to the plugins in a worker process (`isolation: process`), over its socket.
enum ABIBench {
    static func run(pluginsDirectory: String, logger: Logger) throws -> [BenchResult] {
        let services = HostServices(database: try DatabaseLocation.sqlite(path: ":memory:").open(), logger: logger)
        let catalog = PluginCatalog(directory: pluginsDirectory, logger: logger)
        let manifest = try ManifestParser.parse("slug: bench\nname: Bench\ndomains: [bench.localhost]\n").0
        let payload = String(repeating: "x", count: 1000)
        let event: JSON = ["type": "bench.ping", "id": "1", "occurred_at": 0, "data": ["blob": .string(payload)]]
        let eventBytes = try event.serializedBytes().count
        let iterations = 20_000
        var results: [BenchResult] = []
        var direct = 0.0
        direct = meanNanoseconds(iterations) {
            let bytes = (try? event.serializedBytes()) ?? []
            let decoded = try? JSON.parse(bytes: bytes)
            _ = try? JSON.object(["echo": decoded ?? .null]).serializedBytes()
        }
        results.append(BenchResult("ABI: the same handler called directly in Swift, per call", direct / 1000, "µs"))
        for (id, label) in [("echo-swift", "Swift plugin"), ("hello-c", "C plugin")] {
            guard let plugin = catalog.resolve(id: id) else {
                results.append(BenchResult("ABI: \(label) (\(id)) not found in \(pluginsDirectory)", 0, "", target: "runs", met: false))
                continue
            }
            let instance = try PluginInstance(plugin: plugin, tenant: manifest, config: .object([:]), services: services)
            let perCall = meanNanoseconds(iterations) { _ = instance.handleEvent(event) }
            results.append(BenchResult("ABI: one \(eventBytes)-byte event into the \(label) (\(id)), per call", perCall / 1000, "µs", target: "< 5 µs", met: perCall < 5000))
            results.append(BenchResult("ABI: \(label) vs direct call", perCall / direct, "×", target: "≤ 3×", met: perCall / direct <= 3))
            var settings = IsolationSettings()
            settings.workerExecutable = pluginsDirectory + "/switchboard"
            let isolated = try PluginInstance(
                plugin: plugin, tenant: manifest, config: .object([:]), services: services, isolation: .process(timeout: nil), settings: settings)
            let perIsolatedCall = meanNanoseconds(iterations / 10) { _ = isolated.handleEvent(event) }
            results.append(BenchResult("ABI: the same event into the \(label) in a worker process (isolation: process), per call", perIsolatedCall / 1000, "µs"))
        }
        return results
    }
}
