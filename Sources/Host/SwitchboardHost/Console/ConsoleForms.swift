import Foundation
import Hummingbird
import NIOCore

/// Posted console forms and their CSRF tokens, for the tenant console, plugin pages and the admin console.
enum ConsoleForms {
    /// The fields of an `application/x-www-form-urlencoded` body; a repeated field keeps its first value.
    static func fields(_ body: ByteBuffer) -> [String: String] {
        Dictionary(FormEncoding.decode(String(buffer: body)), uniquingKeysWith: { first, _ in first })
    }

    /// The fields of the request's posted form.
    static func read(_ request: Request, _ context: AppRequestContext) async throws -> [String: String] {
        var request = request
        return fields(try await request.collectBody(upTo: context.maxUploadSize))
    }

    /// A 403 unless the form's `csrf` field equals the session's token.
    static func requireCSRF(_ form: [String: String], expected: String) throws {
        guard let given = form["csrf"], Crypto.constantTimeEqual(Array(given.utf8), Array(expected.utf8)) else {
            throw Problem(status: .forbidden, title: "Forbidden", detail: "The form's CSRF token is missing or wrong.")
        }
    }

    /// A 403 unless a sign-in form's `csrf` field equals the token its page set in the cookie `cookie`.
    static func requireSignInCSRF(_ form: [String: String], _ request: Request, cookie: String) throws {
        guard let expected = request.cookies[cookie]?.value, let given = form["csrf"],
            Crypto.constantTimeEqual(Array(expected.utf8), Array(given.utf8))
        else { throw Problem(status: .forbidden, title: "Forbidden", detail: "The form's CSRF token is missing or stale; reload the sign-in page.") }
    }

    /// `text` percent-encoded as a query value, e.g. a notice shown after a redirect.
    static func queryValue(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
}
