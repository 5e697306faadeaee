import ArgumentParser
import Foundation

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Inspect plugin libraries and call their routes.", subcommands: [Inspect.self, List.self, PluginCallCommand.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a plugin library and print its descriptor: id, version, ABI, capabilities and routes.")
        @Argument(help: "Path to the plugin's shared library (.so).") var path: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() throws {
            let plugin: LoadedPlugin
            do {
                plugin = try PluginLoader.load(path: path)
            } catch {
                print("refused: \(error)")
                throw ExitCode(1)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(plugin.summary), as: UTF8.self))
                return
            }
            print(describe(plugin))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the plugins in the plugins directory, and those refused.")
        @OptionGroup var options: HostOptions

        func run() throws {
            let catalog = PluginCatalog(directory: try options.configuration().pluginsDirectory, logger: quietLogger())
            for plugin in catalog.all { print(describe(plugin)) }
            for failure in catalog.failures { print("refused: \(failure.error)") }
            if catalog.all.isEmpty { print("no plugins in \(catalog.directory)") }
        }
    }
}

private func describe(_ plugin: LoadedPlugin) -> String {
    var lines = [
        "\(plugin.id) \(plugin.version)",
        "  file:         \(plugin.path)",
        "  abi:          \(plugin.abiMajor).\(plugin.abiMinor)",
        "  capabilities: \(plugin.capabilities.names.joined(separator: ", "))",
    ]
    if plugin.routes.isEmpty {
        lines.append("  routes:       none")
    } else {
        lines.append("  routes:")
        lines += plugin.routes.map { "    \($0.method.padding(toLength: 6, withPad: " ", startingAt: 0)) \($0.path)  (\($0.permission))" + ($0.cli.map { "  cli: \($0)" } ?? "") }
    }
    return lines.joined(separator: "\n")
}
