import Foundation
import SwitchboardJSON

/// A Google service account from its JSON key file, and the OAuth 2.0 JWT-bearer grant that turns it
/// into an access token: a JWT (`RS256`) asserting iss, scope, aud, iat and exp, posted to `token_uri`.
struct GoogleServiceAccount {
    static let grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    /// The assertion's lifetime; Google accepts at most an hour.
    static let assertionSeconds: Int64 = 3600

    let clientEmail: String
    let privateKeyPEM: String
    let tokenURI: String

    /// Reads the key file's `client_email`, `private_key` and `token_uri`.
    init(keyFile: String) throws {
        let json = try JSON.parse(keyFile)
        guard let email = json["client_email"]?.stringValue, let key = json["private_key"]?.stringValue,
            let uri = json["token_uri"]?.stringValue
        else { throw GoogleCalendarError(operation: "token", message: "the service-account key needs client_email, private_key and token_uri") }
        clientEmail = email
        privateKeyPEM = key
        tokenURI = uri
    }

    /// The signed JWT asserting this account for `scope`, issued at `now` (epoch ms).
    func assertion(scope: String, now: Int64) throws -> String {
        let issued = now / 1000
        let header: JSON = ["alg": "RS256", "typ": "JWT"]
        let claims: JSON = [
            "iss": .string(clientEmail), "scope": .string(scope), "aud": .string(tokenURI),
            "iat": .number(Double(issued)), "exp": .number(Double(issued + Self.assertionSeconds)),
        ]
        let signingInput = try Self.base64URL(header.serializedBytes()) + "." + Self.base64URL(claims.serializedBytes())
        let signature = try RSASigner.signSHA256(Array(signingInput.utf8), privateKeyPEM: privateKeyPEM)
        return signingInput + "." + Self.base64URL(signature)
    }

    /// An access token for `scope`: cached until shortly before it expires, or fetched with the JWT-bearer grant.
    func accessToken(scope: String, http: HTTPClient, now: Int64) throws -> String {
        if let token = AccessTokenCache.shared.token(cacheKey, now: now) { return token }
        let form = FormEncoding.encode([("grant_type", Self.grantType), ("assertion", try assertion(scope: scope, now: now))])
        let response = try GoogleCalendar.perform(
            http, .init(method: "POST", url: tokenURI, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(form.utf8)),
            operation: "token")
        guard let token = response["access_token"]?.stringValue else {
            throw GoogleCalendarError(operation: "token", message: "the token endpoint answered without an access_token")
        }
        let lifetime = Int64(response["expires_in"]?.doubleValue ?? 3600) * 1000
        AccessTokenCache.shared.store(cacheKey, token: token, expiresAt: now + lifetime - GoogleCalendar.tokenMargin)
        return token
    }

    /// Forgets the cached token (after Google refused it).
    func dropToken() { AccessTokenCache.shared.drop(cacheKey) }

    private var cacheKey: String { "google|\(tokenURI)|\(clientEmail)" }

    /// Base64url without padding (RFC 7515).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
