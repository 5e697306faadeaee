import Foundation
import HummingbirdWSClient
import SwitchboardJSON

/// A WebSocket client of a host's `/api/v1/stream` on 127.0.0.1, collecting the events it receives.
final class EventStreamClient: Sendable {
    private let received = EventStreamTests.Received()
    private let connection: Task<Void, any Error>

    init(port: Int, token: String) {
        let received = received
        connection = Task {
            try await WebSocketClient.connect(url: "ws://localhost:\(port)/api/v1/stream?access_token=\(token)", logger: TestEnvironment.logger) { inbound, _, _ in
                received.append("open")
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { received.append(text) }
                }
            }
        }
    }

    /// Whether the server accepted the upgrade.
    var isOpen: Bool { received.count > 0 }

    /// The events received so far, in order.
    var events: [JSON] { received.all.dropFirst().compactMap { try? JSON.parse($0) } }

    func close() { connection.cancel() }
}
