import ArgumentParser
import Hummingbird
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the REST API, webhooks and plugin routes for every tenant.")

    @OptionGroup var options: HostOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8080

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        var configuration = try options.configuration()
        configuration.bindHost = host
        configuration.port = port
        var logger = Logger(label: "switchboard")
        logger.logLevel = logLevel
        let switchboard = try SwitchboardHost.start(configuration, logger: logger)
        for tenant in switchboard.registry.active {
            logger.info("serving \(tenant.slug) on \(tenant.manifest.domains.joined(separator: ", "))")
        }
        if configuration.adminToken == nil {
            logger.notice("SWITCHBOARD_ADMIN_TOKEN is not set: the platform admin API is disabled")
        }
        try await switchboard.buildApplication().runService()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
