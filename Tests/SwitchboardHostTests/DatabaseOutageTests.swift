import Hummingbird
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Database outages")
struct DatabaseOutageTests {
    @Test("a lost or busy database answers 503 problem+json with Retry-After; other errors stay 500")
    func outageIsServiceUnavailable() async throws {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        router.get("/connection") { _, _ -> String in throw DatabaseError(kind: .connection, message: "server closed the connection unexpectedly") }
        router.get("/busy") { _, _ -> String in throw DatabaseError(kind: .busy, message: "database is locked") }
        router.get("/statement") { _, _ -> String in throw DatabaseError(kind: .statement, message: "syntax error") }
        try await Application(router: router).test(.router) { client in
            for path in ["/connection", "/busy"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(!String(buffer: response.body).contains("server closed"), "the driver's message stays in the log")
                }
            }
            try await client.execute(uri: "/statement", method: .get) { #expect($0.status == .internalServerError) }
        }
    }
}
