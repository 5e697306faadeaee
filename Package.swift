// swift-tools-version: 6.1
import PackageDescription

/// Switchboard: a multi-tenant plugin host.
///
/// - `switchboard` (executable) is a thin entry point over `SwitchboardHost`.
/// - `SwitchboardHost` holds all host logic: tenancy, storage, plugins, HTTP.
/// - `CPluginABI` is the one versioned C header every plugin implements.
/// - `PluginAPI` is the Swift SDK on top of that header for Swift plugin authors.
/// - Each plugin is a dynamic library that depends on `PluginAPI` (or, for C, on `CPluginABI`) only.
let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "PluginAPI", targets: ["PluginAPI"]),
        .library(name: "TutorBot", type: .dynamic, targets: ["TutorBot"]),
        .library(name: "LeadQualifier", type: .dynamic, targets: ["LeadQualifier"]),
        .library(name: "MrDJCRM", type: .dynamic, targets: ["MrDJCRM"]),
        .library(name: "ChargeCarsComms", type: .dynamic, targets: ["ChargeCarsComms"]),
        .library(name: "HelloC", type: .dynamic, targets: ["HelloC"]),
        .library(name: "EchoSwift", type: .dynamic, targets: ["EchoSwift"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: C plugin ABI and the Swift SDK
        .target(name: "CPluginABI", path: "Sources/PluginAPI/CPluginABI"),
        .target(name: "SwitchboardJSON", path: "Sources/PluginAPI/JSON"),
        .target(name: "PluginAPI", dependencies: ["CPluginABI", "SwitchboardJSON"], path: "Sources/PluginAPI/SDK"),

        // MARK: System libraries
        .systemLibrary(name: "CSQLite", path: "Sources/System/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/System/COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/System/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CHaru", path: "Sources/System/CHaru", providers: [.apt(["libhpdf-dev"])]),
        .systemLibrary(
            name: "CLibPQ", path: "Sources/System/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),

        // MARK: Host
        .target(
            name: "SwitchboardHost",
            dependencies: [
                "CPluginABI", "SwitchboardJSON", "CSQLite", "COpenSSL", "CCurl", "CHaru", "CLibPQ",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Sources/Host/SwitchboardHost"
        ),
        .executableTarget(name: "switchboard", dependencies: ["SwitchboardHost"], path: "Sources/Host/switchboard"),

        // MARK: Plugins (dynamic libraries; PluginAPI only)
        .target(name: "TutorBot", dependencies: ["PluginAPI"], path: "Plugins/TutorBot"),
        .target(name: "LeadQualifier", dependencies: ["PluginAPI"], path: "Plugins/LeadQualifier"),
        .target(name: "MrDJCRM", dependencies: ["PluginAPI"], path: "Plugins/MrDJCRM"),
        .target(name: "ChargeCarsComms", dependencies: ["PluginAPI"], path: "Plugins/ChargeCarsComms"),
        .target(name: "HelloC", dependencies: ["CPluginABI"], path: "Plugins/Examples/HelloC"),
        .target(name: "EchoSwift", dependencies: ["PluginAPI"], path: "Plugins/Examples/EchoSwift"),

        // MARK: Bench (make bench)
        .executableTarget(name: "TutorBotBench", dependencies: ["TutorBot"], path: "Benchmarks/TutorBotBench"),
        .executableTarget(
            name: "SwitchboardBench",
            dependencies: [
                "SwitchboardHost", "SwitchboardJSON", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/SwitchboardBench"),

        // MARK: Tests
        .testTarget(
            name: "SwitchboardHostTests",
            dependencies: [
                "SwitchboardHost",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            path: "Tests/SwitchboardHostTests"
        ),
        .testTarget(name: "TutorBotTests", dependencies: ["TutorBot", "PluginAPI"], path: "Tests/TutorBotTests"),
    ]
)
