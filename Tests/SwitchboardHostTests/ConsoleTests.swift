import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("The branded web console")
struct ConsoleTests {
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
            let browser = ConsoleBrowser(client, domain: "mrdj.localhost")
            func send(
                _ method: HTTPRequest.Method, _ path: String, host domain: String = "mrdj.localhost", cookies: [String: String] = [:],
                form: [(String, String)]? = nil
            ) async throws -> ConsoleBrowser.Page {
                try await browser.request(method, path, cookies: cookies, domain: domain, form: form)
            }
            #expect(try await send(.get, "/console").status == .seeOther, "no session: to the sign-in page")
            let login = try await send(.get, "/console/login")
            #expect(login.status == .ok && login.html.contains("Mr. DJ") && login.html.contains("#111111"), "the login page carries the tenant's branding")
            #expect(login.html.contains("info@mr-dj.nl"), "with its email sender")
            let csrfCookie = try #require(login.setCookie("sb_csrf"))
            let formToken = try #require(login.hidden("csrf"))
            #expect(formToken == csrfCookie.value)

            #expect(try await send(.post, "/console/login", form: [("email", "bart@mr-dj.nl"), ("password", "correct horse battery"), ("csrf", formToken)]).status == .forbidden, "no CSRF cookie")
            let wrong = try await send(.post, "/console/login", cookies: ["sb_csrf": formToken], form: [("email", "bart@mr-dj.nl"), ("password", "wrong password!!"), ("csrf", formToken)])
            #expect(wrong.status == .unauthorized && wrong.html.contains("wrong"))
            let signedIn = try await send(.post, "/console/login", cookies: ["sb_csrf": formToken], form: [("email", "bart@mr-dj.nl"), ("password", "correct horse battery"), ("csrf", formToken)])
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console")
            let session = try #require(signedIn.setCookie("sb_session"))
            #expect(session.line.contains("HttpOnly") && session.line.contains("SameSite=Lax"))

            let inbox = try await send(.get, "/console", cookies: ["sb_session": session.value])
            #expect(inbox.status == .ok && inbox.html.contains("Anna Jansen") && inbox.html.contains("Mr. DJ"))
            #expect(inbox.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-ancestors 'none'") == true)
            let conversationID = try #require(try host.services.conversations.list(tenantID: "mrdj", filter: [:], page: PageRequest()).data.first?.id)
            let thread = try await send(.get, "/console/conversations/\(conversationID)", cookies: ["sb_session": session.value])
            #expect(thread.html.contains("Wat kost een DJ"))
            let csrf = try #require(thread.hidden("csrf"))

            #expect(try await send(.post, "/console/conversations/\(conversationID)/reply", cookies: ["sb_session": session.value], form: [("text", "Hoi Anna!")]).status == .forbidden)
            #expect(try await send(.post, "/console/conversations/\(conversationID)/reply", cookies: ["sb_session": session.value], form: [("text", "Hoi Anna!"), ("csrf", csrf)]).status == .seeOther)
            let messages = try host.services.conversations.messages(tenantID: "mrdj", conversationID: conversationID, page: PageRequest()).data
            #expect(messages.contains { $0.direction == "outbound" && $0.content == "Hoi Anna!" && $0.status == "sent" })

            #expect(try await send(.post, "/console/conversations/\(conversationID)/owner", cookies: ["sb_session": session.value], form: [("owner", "human"), ("csrf", csrf)]).status == .seeOther)
            #expect(try host.services.conversations.find(tenantID: "mrdj", id: conversationID)?.owner == "human")

            // The same cookie on another tenant's domain is no session at all.
            #expect(try await send(.get, "/console", host: "other.localhost", cookies: ["sb_session": session.value]).status == .seeOther)

            #expect(try await send(.post, "/console/logout", cookies: ["sb_session": session.value], form: [("csrf", csrf)]).status == .seeOther)
            #expect(try await send(.get, "/console", cookies: ["sb_session": session.value]).status == .seeOther, "signed out")
        }
    }
}
