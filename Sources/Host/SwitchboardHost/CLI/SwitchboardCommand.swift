import ArgumentParser

/// `switchboard`: the multi-tenant plugin host and its admin tools.
@available(macOS 10.15, *)
public struct SwitchboardCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A multi-tenant plugin host: tenants by domain, plugins as shared libraries, one policy for every message.",
        discussion: """
            Configuration comes from flags and these environment variables:
              SWITCHBOARD_DATABASE_URL   sqlite:///path/to/file.sqlite (default ./data/switchboard.sqlite) or postgres://…
              SWITCHBOARD_TENANTS_DIR    directory of tenant manifests applied at start (default ./tenants)
              SWITCHBOARD_DATA_DIR       the host's files, e.g. inbound media in files/<tenant>/media (default ./data)
              SWITCHBOARD_PLUGINS_DIR    directory of plugin libraries (default: beside the executable)
              SWITCHBOARD_ADMIN_TOKEN    bearer token for the platform admin API (/admin/v1); unset disables it
              SWITCHBOARD_TRUSTED_PROXIES  comma-separated proxy IPs whose X-Forwarded-Host is honoured
              SWITCHBOARD_PLUGIN_TIMEOUT_MS  how long an isolation: process plugin may take per call (default 10000)
            """,
        subcommands: [ServeCommand.self, MigrateCommand.self, TenantsCommand.self, PluginsCommand.self, TokensCommand.self, UsersCommand.self, PluginFileCommand.self, PluginWorkerCommand.self],
        defaultSubcommand: nil)

    public init() {}

    /// Parses the command line and runs the chosen subcommand, awaiting async ones.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot(routingPluginCommands(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

extension SwitchboardCommand {
    /// `switchboard crm import …` → `switchboard file-command crm import …`: a first word that is no built-in
    /// command names a plugin's command group.
    static func routingPluginCommands(_ arguments: [String]) -> [String] {
        guard let first = arguments.first, !first.hasPrefix("-"), first != "help",
            !configuration.subcommands.contains(where: { $0._commandName == first })
        else { return arguments }
        return [PluginFileCommand._commandName] + arguments
    }
}

/// Options shared by every command that opens the host's storage or plugins.
struct HostOptions: ParsableArguments {
    @Option(help: "Database URL (overrides SWITCHBOARD_DATABASE_URL).")
    var database: String?

    @Option(help: "Directory of tenant manifests (overrides SWITCHBOARD_TENANTS_DIR).")
    var tenantsDir: String?

    @Option(help: "Directory of plugin libraries (overrides SWITCHBOARD_PLUGINS_DIR).")
    var pluginsDir: String?

    func configuration() throws -> HostConfiguration {
        var configuration = try HostConfiguration.fromEnvironment()
        if let database { configuration.database = try DatabaseLocation(url: database) }
        if let tenantsDir { configuration.tenantsDirectory = tenantsDir }
        if let pluginsDir { configuration.pluginsDirectory = pluginsDir }
        return configuration
    }
}
