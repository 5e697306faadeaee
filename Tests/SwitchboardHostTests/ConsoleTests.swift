import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("The branded web console")
struct ConsoleTests {
    /// The value of a Set-Cookie named `name`, and the whole header line.
    static func setCookie(_ headers: HTTPFields, _ name: String) -> (value: String, line: String)? {
        for line in headers[values: .setCookie] where line.hasPrefix("\(name)=") {
            let value = line.dropFirst(name.count + 1).prefix { $0 != ";" }
            return (String(value), line)
        }
        return nil
    }

    static func hidden(_ html: String, _ name: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("sign in with a tenant's user, see the branded inbox, reply with CSRF; the session does not work on another tenant")
    func signInAndReply() async throws {
        let host = try TestEnvironment.host(manifests: [
            "mrdj": try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/mrdj.yaml"), encoding: .utf8),
            "b": manifest(slug: "other", domain: "other.localhost"),
        ])
        _ = try host.services.credentials.createUser(tenantID: "mrdj", email: "bart@mr-dj.nl", name: "Bart", role: "sales", password: "correct horse battery", actor: "test")
        _ = try host.services.credentials.createUser(tenantID: "other", email: "bart@mr-dj.nl", name: "Bart", role: "admin", password: "correct horse battery", actor: "test")
        let tenant = try #require(host.registry.tenant(slug: "mrdj"))
        _ = try InboundProcessor(services: host.services).ingest(
            InboundMessage(channel: "sandbox", providerMessageID: "c-1", phone: "+31612340000", name: "Anna Jansen", text: "Wat kost een DJ voor onze bruiloft?"), tenant: tenant)
        try await host.buildApplication().test(.router) { client in
            func send(_ method: HTTPRequest.Method, _ path: String, host domain: String = "mrdj.localhost", cookies: [String: String] = [:], form: [(String, String)]? = nil) async throws -> (HTTPResponse.Status, HTTPFields, String) {
                var headers: HTTPFields = [HTTPField.Name("Host")!: domain]
                if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
                var body: ByteBuffer?
                if let form {
                    headers[.contentType] = "application/x-www-form-urlencoded"
                    body = ByteBuffer(string: FormEncoding.encode(form))
                }
                return try await client.execute(uri: path, method: method, headers: headers, body: body) { ($0.status, $0.headers, String(buffer: $0.body)) }
            }
            #expect(try await send(.get, "/console").0 == .seeOther, "no session: to the sign-in page")
            let (loginStatus, loginHeaders, loginPage) = try await send(.get, "/console/login")
            #expect(loginStatus == .ok && loginPage.contains("Mr. DJ") && loginPage.contains("#111111"), "the login page carries the tenant's branding")
            #expect(loginPage.contains("info@mr-dj.nl"), "with its email sender")
            let csrfCookie = try #require(Self.setCookie(loginHeaders, "sb_csrf"))
            let formToken = try #require(Self.hidden(loginPage, "csrf"))
            #expect(formToken == csrfCookie.value)

            #expect(try await send(.post, "/console/login", form: [("email", "bart@mr-dj.nl"), ("password", "correct horse battery"), ("csrf", formToken)]).0 == .forbidden, "no CSRF cookie")
            let wrong = try await send(.post, "/console/login", cookies: ["sb_csrf": formToken], form: [("email", "bart@mr-dj.nl"), ("password", "wrong password!!"), ("csrf", formToken)])
            #expect(wrong.0 == .unauthorized && wrong.2.contains("wrong"))
            let (status, headers, _) = try await send(.post, "/console/login", cookies: ["sb_csrf": formToken], form: [("email", "bart@mr-dj.nl"), ("password", "correct horse battery"), ("csrf", formToken)])
            #expect(status == .seeOther && headers[.location] == "/console")
            let session = try #require(Self.setCookie(headers, "sb_session"))
            #expect(session.line.contains("HttpOnly") && session.line.contains("SameSite=Lax"))

            let (inboxStatus, inboxHeaders, inbox) = try await send(.get, "/console", cookies: ["sb_session": session.value])
            #expect(inboxStatus == .ok && inbox.contains("Anna Jansen") && inbox.contains("Mr. DJ"))
            #expect(inboxHeaders[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-ancestors 'none'") == true)
            let conversationID = try #require(try host.services.conversations.list(tenantID: "mrdj", filter: [:], page: PageRequest()).data.first?.id)
            let (_, _, thread) = try await send(.get, "/console/conversations/\(conversationID)", cookies: ["sb_session": session.value])
            #expect(thread.contains("Wat kost een DJ"))
            let csrf = try #require(Self.hidden(thread, "csrf"))

            #expect(try await send(.post, "/console/conversations/\(conversationID)/reply", cookies: ["sb_session": session.value], form: [("text", "Hoi Anna!")]).0 == .forbidden)
            #expect(try await send(.post, "/console/conversations/\(conversationID)/reply", cookies: ["sb_session": session.value], form: [("text", "Hoi Anna!"), ("csrf", csrf)]).0 == .seeOther)
            let messages = try host.services.conversations.messages(tenantID: "mrdj", conversationID: conversationID, page: PageRequest()).data
            #expect(messages.contains { $0.direction == "outbound" && $0.content == "Hoi Anna!" && $0.status == "sent" })

            #expect(try await send(.post, "/console/conversations/\(conversationID)/owner", cookies: ["sb_session": session.value], form: [("owner", "human"), ("csrf", csrf)]).0 == .seeOther)
            #expect(try host.services.conversations.find(tenantID: "mrdj", id: conversationID)?.owner == "human")

            // The same cookie on another tenant's domain is no session at all.
            #expect(try await send(.get, "/console", host: "other.localhost", cookies: ["sb_session": session.value]).0 == .seeOther)

            #expect(try await send(.post, "/console/logout", cookies: ["sb_session": session.value], form: [("csrf", csrf)]).0 == .seeOther)
            #expect(try await send(.get, "/console", cookies: ["sb_session": session.value]).0 == .seeOther, "signed out")
        }
    }
}
