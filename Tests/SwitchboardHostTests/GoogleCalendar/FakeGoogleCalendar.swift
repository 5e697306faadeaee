import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardJSON

@testable import SwitchboardHost

/// An RSA key pair made with the `openssl` command line for one test, and RS256 verification with its public key
/// (through the command line too, so the check does not share code with the host's signer).
struct TestRSAKey: Sendable {
    let privateKeyPEM: String
    let publicKeyPath: String

    static func generate() throws -> TestRSAKey {
        let directory = try TestEnvironment.temporaryDirectory()
        let privatePath = directory.appendingPathComponent("key.pem").path, publicPath = directory.appendingPathComponent("public.pem").path
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privatePath])
        try openssl(["pkey", "-in", privatePath, "-pubout", "-out", publicPath])
        return TestRSAKey(privateKeyPEM: try String(contentsOfFile: privatePath, encoding: .utf8), publicKeyPath: publicPath)
    }

    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    func verifies(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard let directory = try? TestEnvironment.temporaryDirectory() else { return false }
        let messagePath = directory.appendingPathComponent("message").path, signaturePath = directory.appendingPathComponent("signature").path
        guard FileManager.default.createFile(atPath: messagePath, contents: Data(message)),
            FileManager.default.createFile(atPath: signaturePath, contents: Data(signature))
        else { return false }
        return (try? Self.openssl(["dgst", "-sha256", "-verify", publicKeyPath, "-signature", signaturePath, messagePath])) != nil
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestEnvironment.FixtureError(message: "openssl \(arguments[0]) failed") }
    }
}

/// Google's OAuth token endpoint and Calendar API on a `FakeProvider`: the token endpoint takes only a JWT-bearer
/// grant whose RS256 signature verifies with `key` and whose claims are right; the API takes only the token it gave.
enum FakeGoogleCalendar {
    static let accessToken = "ya29.fake-access-token"
    static let clientEmail = "tutorbot@switchboard-test.iam.gserviceaccount.com"
    static let calendarID = "tutor@example.com"

    /// What the fake answers: the busy intervals of `calendarID`, or an HTTP status to fail with.
    struct Script: Sendable {
        var busy: [(start: String, end: String)] = []
        var freeBusyStatus = 200
        var insertStatus = 200
    }

    static func routes(key: TestRSAKey, script: Script) -> (Router<BasicRequestContext>) -> Void {
        { router in
            router.post("/token") { request, _ in
                var request = request
                let form = String(buffer: try await request.collectBody(upTo: 1 << 16))
                let fields = Dictionary(FormEncoding.decode(form), uniquingKeysWith: { $1 })
                guard fields["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let assertion = fields["assertion"],
                    isValidAssertion(assertion, key: key, audience: "http://\(request.head.authority ?? "")/token")
                else { return try fakeJSON(["error": "invalid_grant", "error_description": "Invalid JWT Signature."], status: .badRequest) }
                return try fakeJSON(["access_token": .string(accessToken), "expires_in": 3599, "token_type": "Bearer"])
            }
            router.post("/calendar/v3/freeBusy") { request, _ in
                guard request.headers[.authorization] == "Bearer \(accessToken)" else { return try unauthorized() }
                guard script.freeBusyStatus == 200 else { return try backendError(script.freeBusyStatus) }
                var request = request
                let body = try JSON.parse(bytes: Array(try await request.collectBody(upTo: 1 << 16).readableBytesView))
                let id = body["items"]?.arrayValue?.first?["id"]?.stringValue ?? ""
                let busy = JSON.array(script.busy.map { ["start": .string($0.start), "end": .string($0.end)] })
                return try fakeJSON([
                    "kind": "calendar#freeBusy", "timeMin": body["timeMin"] ?? .null, "timeMax": body["timeMax"] ?? .null,
                    "calendars": .object([id: ["busy": busy]]),
                ])
            }
            router.post("/calendar/v3/calendars/:calendar/events") { request, _ in
                guard request.headers[.authorization] == "Bearer \(accessToken)" else { return try unauthorized() }
                guard script.insertStatus == 200 else { return try backendError(script.insertStatus) }
                return try fakeJSON(["kind": "calendar#event", "id": "gcal-event-1", "status": "confirmed"])
            }
        }
    }

    /// Whether a JWT's header is RS256, its signature verifies with `key`, and its claims name the service account,
    /// the calendar scope, the token endpoint as audience and an hour's lifetime.
    static func isValidAssertion(_ jwt: String, key: TestRSAKey, audience: String) -> Bool {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let header = decode(parts[0]).flatMap({ try? JSON.parse(bytes: $0) }),
            let claims = decode(parts[1]).flatMap({ try? JSON.parse(bytes: $0) }), let signature = decode(parts[2]),
            header["alg"] == "RS256", header["typ"] == "JWT",
            key.verifies(Array("\(parts[0]).\(parts[1])".utf8), signature: signature),
            claims["iss"]?.stringValue == clientEmail, claims["scope"] == "https://www.googleapis.com/auth/calendar",
            claims["aud"]?.stringValue == audience,
            let issued = claims["iat"]?.doubleValue, let expires = claims["exp"]?.doubleValue, expires - issued == 3600
        else { return false }
        return true
    }

    /// Base64url without padding, decoded.
    static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }

    /// The service-account key file Google hands out, for `key` and the fake's token endpoint.
    static func keyFile(key: TestRSAKey, tokenURI: String) throws -> String {
        try JSON.object([
            "type": "service_account", "project_id": "switchboard-test", "client_email": .string(clientEmail),
            "private_key": .string(key.privateKeyPEM), "token_uri": .string(tokenURI),
        ]).serialized()
    }

    /// The tutorbot manifest with `calendar.google` pointing at the fake.
    static func manifest(_ fake: FakeProvider, key: TestRSAKey) throws -> String {
        let base = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/tutorbot.yaml"), encoding: .utf8)
        return base + """

            calendar:
              google:
                calendar_id: \(calendarID)
                service_account: env:\(uniqueSecret(try keyFile(key: key, tokenURI: fake.baseURL + "/token")))
                api_base: \(fake.baseURL)

            """
    }

    private static func unauthorized() throws -> Response {
        try fakeJSON(["error": ["code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"]], status: .unauthorized)
    }

    private static func backendError(_ status: Int) throws -> Response {
        try fakeJSON(
            ["error": ["code": .number(Double(status)), "message": "Backend Error", "errors": [["reason": "backendError"]]]],
            status: .init(code: status))
    }
}
