import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Brute force on `/console/login` and `/admin/console/login`: 10 failures per 15 minutes per (tenant, email)
/// and per client IP, then 429 with `Retry-After`, audited; other accounts, tenants and addresses sign in as before.
@Suite("Login throttle: brute force on the console sign-in forms is limited per account and per IP")
struct LoginThrottleTests {
    static let password = "correct horse battery"

    /// A sign-in form post with matching CSRF cookie and field, from `ip` (via the trusted proxy header) when given.
    static func signIn(
        _ client: some TestClientProtocol, domain: String, path: String = "/console/login", form: [(String, String)], ip: String? = nil
    ) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, text: String) {
        let cookie = path.hasPrefix("/admin") ? AdminConsoleRoutes.loginCSRFCookie : ConsoleRoutes.loginCSRFCookie
        var headers: HTTPFields = [.init("Host")!: domain, .contentType: "application/x-www-form-urlencoded", .cookie: "\(cookie)=csrf-token"]
        if let ip { headers[.init("X-Forwarded-For")!] = "198.51.100.1, \(ip)" }
        let body = ByteBuffer(string: FormEncoding.encode(form + [("csrf", "csrf-token")]))
        return try await client.execute(uri: path, method: .post, headers: headers, body: body) { ($0.status, $0.headers, String(buffer: $0.body)) }
    }

    static func host(configure: (inout HostConfiguration) -> Void = { _ in }) throws -> SwitchboardHost {
        let host = try TestEnvironment.host(
            manifests: ["a": manifest(slug: "tenant-a", domain: "a.localhost"), "b": manifest(slug: "tenant-b", domain: "b.localhost")], configure: configure)
        for (tenant, email) in [("tenant-a", "alice@example.com"), ("tenant-a", "bob@example.com"), ("tenant-b", "alice@example.com"), ("tenant-a", "carol@example.com")] {
            _ = try host.services.credentials.createUser(tenantID: tenant, email: email, name: email, role: "agent", password: password, actor: "test")
        }
        return host
    }

    @Test("the 11th attempt on one account is a 429 with Retry-After, even with the right password, audited once; other users and tenants are unaffected")
    func perAccount() async throws {
        let host = try Self.host()
        try await host.buildApplication().test(.router) { client in
            for _ in 0..<10 {
                #expect(try await Self.signIn(client, domain: "a.localhost", form: [("email", "alice@example.com"), ("password", "wrong")]).status == .unauthorized)
            }
            for password in ["wrong", Self.password] {
                let refused = try await Self.signIn(client, domain: "a.localhost", form: [("email", "Alice@Example.com"), ("password", password)])
                let wait = Int(refused.headers[.retryAfter] ?? "") ?? 0
                #expect(refused.status == .tooManyRequests && refused.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                #expect(wait > 0 && wait <= 900, "Retry-After: \(wait)")
            }
            #expect(try await Self.signIn(client, domain: "a.localhost", form: [("email", "bob@example.com"), ("password", Self.password)]).status == .seeOther)
            #expect(try await Self.signIn(client, domain: "b.localhost", form: [("email", "alice@example.com"), ("password", Self.password)]).status == .seeOther)
            let audit = try host.services.audit.entries(tenantID: "tenant-a", action: "console_sign_in_locked")
            #expect(audit.count == 1 && audit.first?.details["email"] == "alice@example.com")
            #expect(try host.services.audit.entries(tenantID: "tenant-b", action: "console_sign_in_locked").isEmpty)

            for _ in 0..<9 { _ = try await Self.signIn(client, domain: "a.localhost", form: [("email", "carol@example.com"), ("password", "wrong")]) }
            #expect(try await Self.signIn(client, domain: "a.localhost", form: [("email", "carol@example.com"), ("password", Self.password)]).status == .seeOther)
            for _ in 0..<9 { _ = try await Self.signIn(client, domain: "a.localhost", form: [("email", "carol@example.com"), ("password", "wrong")]) }
            #expect(try await Self.signIn(client, domain: "a.localhost", form: [("email", "carol@example.com"), ("password", Self.password)]).status == .seeOther,
                    "a successful sign-in clears the account's failures")
        }
    }

    @Test("per IP: ten failures over many accounts lock that address, for tenants and the admin console; other addresses sign in")
    func perIP() async throws {
        let host = try Self.host { $0.trustedProxies = ["127.0.0.1"] }
        try await host.buildApplication().test(.live) { client in
            for index in 0..<10 {
                let reply = try await Self.signIn(client, domain: "a.localhost", form: [("email", "guess\(index)@example.com"), ("password", "wrong")], ip: "203.0.113.5")
                #expect(reply.status == .unauthorized)
            }
            let locked = try await Self.signIn(client, domain: "a.localhost", form: [("email", "alice@example.com"), ("password", Self.password)], ip: "203.0.113.5")
            #expect(locked.status == .tooManyRequests && locked.headers[.retryAfter] != nil)
            #expect(try await Self.signIn(client, domain: "b.localhost", form: [("email", "alice@example.com"), ("password", Self.password)], ip: "203.0.113.5").status == .tooManyRequests)
            #expect(try await Self.signIn(client, domain: "a.localhost", form: [("email", "alice@example.com"), ("password", Self.password)], ip: "203.0.113.6").status == .seeOther)
            #expect(try host.services.audit.entries(tenantID: "tenant-a", action: "console_sign_in_locked").first?.actor == "ip:203.0.113.5")

            for _ in 0..<10 {
                let reply = try await Self.signIn(client, domain: "a.localhost", path: "/admin/console/login", form: [("token", "guess")], ip: "203.0.113.7")
                #expect(reply.status == .unauthorized)
            }
            let admin = try await Self.signIn(client, domain: "a.localhost", path: "/admin/console/login", form: [("token", "test-admin-token")], ip: "203.0.113.7")
            #expect(admin.status == .tooManyRequests && admin.headers[.retryAfter] != nil)
            #expect(try await Self.signIn(client, domain: "a.localhost", path: "/admin/console/login", form: [("token", "test-admin-token")], ip: "203.0.113.8").status == .seeOther)
            #expect(try host.services.audit.entries(tenantID: AuditLog.platformTenant, action: "admin_sign_in_locked").count == 1)
        }
    }

    @Test("an X-Forwarded-For from an untrusted peer is ignored: the peer's own address is limited")
    func untrustedForwardedFor() async throws {
        let host = try Self.host()
        try await host.buildApplication().test(.live) { client in
            for index in 0..<10 {
                _ = try await Self.signIn(client, domain: "a.localhost", form: [("email", "x\(index)@example.com"), ("password", "wrong")], ip: "203.0.113.\(index)")
            }
            let reply = try await Self.signIn(client, domain: "a.localhost", form: [("email", "alice@example.com"), ("password", Self.password)], ip: "203.0.113.99")
            #expect(reply.status == .tooManyRequests, "all ten came from 127.0.0.1, whatever the header said")
        }
    }

    @Test("failures leave the window after 15 minutes; Retry-After counts down to the oldest one's expiry")
    func window() {
        let throttle = LoginThrottle()
        let keys = LoginThrottle.keys(tenant: "t", email: "a@example.com", ip: "192.0.2.1")
        for minute in 0..<10 { #expect(throttle.recordFailure(keys, now: Int64(minute) * 60_000) == (minute == 9 ? keys : [])) }
        #expect(throttle.retryAfter(keys, now: 10 * 60_000) == 5 * 60, "the first failure, at minute 0, expires at minute 15")
        #expect(throttle.retryAfter(keys, now: 15 * 60_000) == nil)
        #expect(throttle.retryAfter(LoginThrottle.keys(tenant: "u", email: "a@example.com", ip: nil), now: 10 * 60_000) == nil)
    }
}
