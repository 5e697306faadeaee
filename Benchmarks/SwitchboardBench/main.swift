import Foundation
import Logging

// `make bench`: every figure as a table, each against its target with ✓ or ✗, and all of them in
// bench/results.json. Run on the release build; the comparisons are ratios measured in this one run.
var logger = Logger(label: "bench")
logger.logLevel = .critical
let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let repository = FileManager.default.currentDirectoryPath
let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

var results: [BenchResult] = []
print("==> plugin call overhead")
results += try ABIBench.run(pluginsDirectory: binDirectory, logger: logger)
print("==> scheduler throughput")
results += try await SchedulerBench.run(logger: logger, directory: work)
let binary = binDirectory + "/switchboard"
print("==> start-up and memory")
results += try StartupBench.run(binary: binary, pluginsDirectory: binDirectory, demoTenants: repository + "/tenants", directory: work)
print("==> webhook path under load (wrk)")
results += try WebhookBench.run(binary: binary, pluginsDirectory: binDirectory, directory: work)

print("")
for result in results { print(result.row) }
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
try FileManager.default.createDirectory(atPath: repository + "/bench", withIntermediateDirectories: true)
try encoder.encode(results).write(to: URL(fileURLWithPath: repository + "/bench/results.json"))
print("\nwritten to bench/results.json")
