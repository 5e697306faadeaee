import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import SwitchboardJSON

/// The tenant's web console under `/console`, branded from the manifest: sign-in with the host's users,
/// an HttpOnly session cookie (SameSite=Lax; Secure behind TLS), a CSRF token on every form, the inbox
/// and a conversation view with replies and bot handover. A session is bound to its tenant's domain.
struct ConsoleRoutes {
    static let sessionCookie = "sb_session"
    static let loginCSRFCookie = "sb_csrf"

    static let filters: [(key: String, label: String)] = [
        ("all", "All"), ("email", "Email"), ("whatsapp", "WhatsApp"), ("tasks", "Tasks"), ("overdue", "Overdue"), ("mine", "Mine"),
    ]

    func register(on router: Router<AppRequestContext>) {
        router.get("/console/login") { request, context -> Response in
            let tenant = try context.requireTenant()
            let csrf = Crypto.hex(try Crypto.randomBytes(16))
            var response = page(tenant, "login", title: "Sign in", values: ["csrf": csrf], session: nil)
            response.setCookie(Self.cookie(Self.loginCSRFCookie, csrf, request))
            return response
        }

        router.post("/console/login") { request, context -> Response in
            let tenant = try context.requireTenant()
            let form = try await ConsoleForms.read(request, context)
            try ConsoleForms.requireSignInCSRF(form, request, cookie: Self.loginCSRFCookie)
            let email = form["email"] ?? "", password = form["password"] ?? ""
            let throttle = tenant.services.loginThrottle
            let attempt = LoginThrottle.keys(tenant: tenant.slug, email: email, ip: context.clientIP)
            try throttle.admit(attempt)
            let credentials = tenant.credentials, roles = tenant.roles
            guard let identity = try await tenant.database.perform({ try credentials.verifyUser(tenantID: tenant.slug, email: email, password: password, roles: roles) }) else {
                for locked in throttle.recordFailure(attempt) {
                    try? tenant.services.audit.record(
                        tenantID: tenant.slug, actor: "ip:\(context.clientIP ?? "unknown")", action: "console_sign_in_locked",
                        details: ["email": .string(email), "limited": .string(locked)])
                }
                var response = page(tenant, "login", title: "Sign in", values: ["csrf": form["csrf"] ?? "", "email": email, "error": "Email or password is wrong."], session: nil)
                response.status = .unauthorized
                return response
            }
            attempt.first.map(throttle.reset)
            let sessions = ConsoleSessions(database: tenant.database)
            let token = try await tenant.database.perform { try sessions.create(tenantID: tenant.slug, userID: identity.id) }
            try? tenant.services.audit.record(tenantID: tenant.slug, actor: identity.actor, action: "console_sign_in")
            var response = Self.redirect("/console")
            response.setCookie(Self.cookie(Self.sessionCookie, token, request))
            return response
        }

        let console = router.group("/console").add(middleware: ConsoleSessionMiddleware())
        ConsoleContactRoutes().register(on: console)
        ConsoleSettingsRoutes().register(on: console)

        console.post("/logout") { request, context -> Response in
            let (tenant, session) = try Self.signedIn(context, form: try await ConsoleForms.read(request, context))
            try await tenant.database.perform { try ConsoleSessions(database: tenant.database).delete(tenantID: tenant.slug, tokenHash: session.tokenHash) }
            var response = Self.redirect("/console/login")
            response.setCookie(Cookie(name: Self.sessionCookie, value: "", maxAge: 0, path: "/console", httpOnly: true, sameSite: .lax))
            return response
        }

        console.get("") { request, context -> Response in
            let (tenant, session) = try Self.signedIn(context)
            let filter = request.uri.queryParameters.get("filter").map { String($0) } ?? "all"
            let identity = session.identity
            let rows = try await context.perform { tenant in try Self.inboxRows(tenant, filter: filter, identity: identity) }
            if request.uri.queryParameters.get("fragment") == "rows" {
                return htmlResponse(ConsoleTemplates.library.render(["rows": rows], withTemplate: "inbox_rows") ?? "")
            }
            let filters: [[String: Any]] = Self.filters.map { ["key": $0.key, "label": $0.label, "active": $0.key == filter] }
            return page(tenant, "inbox", title: "Inbox", values: ["filters": filters, "filter": filter, "rows": rows], session: session, current: "/console")
        }

        console.get("/conversations/{id}") { request, context -> Response in
            let (tenant, session) = try Self.signedIn(context)
            let id = try context.parameter("id")
            let view = try await context.perform { tenant -> ConversationView? in
                guard let conversation = try tenant.services.conversations.find(tenantID: tenant.slug, id: id) else { return nil }
                let contact = try tenant.services.contacts.find(tenantID: tenant.slug, .id(conversation.contactID))
                let messages = try tenant.services.conversations.messages(tenantID: tenant.slug, conversationID: id, page: PageRequest(limit: 200))
                let tasks = try tenant.services.tasks.list(tenantID: tenant.slug, filter: ["conversation_id": id], page: PageRequest(limit: 100))
                let templates = try tenant.services.templates.list(tenantID: tenant.slug, filter: ["channel": conversation.channel], page: PageRequest(limit: 200))
                return ConversationView(
                    id: id, contact: contact?.name ?? contact?.phone ?? contact?.email ?? "?", contactID: conversation.contactID,
                    channel: conversation.channel, status: conversation.status, owner: conversation.owner, botOwned: conversation.owner == "bot",
                    messages: messages.data.map {
                        .init(direction: $0.direction, content: $0.content ?? $0.templateName.map { "[template \($0)]" } ?? "", channel: $0.channel,
                              status: $0.status, time: Self.time($0.createdAt, tenant))
                    },
                    tasks: tasks.data.map { .init(title: $0.title, status: $0.status, due: $0.dueAt.map { Self.time($0, tenant) }) },
                    templates: templates.data.map { .init(name: $0.name, language: $0.language) }, hasTemplates: !templates.data.isEmpty)
            }
            guard let view else { throw Problem.notFound("Conversation \(id)") }
            if request.uri.queryParameters.get("fragment") == "messages" {
                return htmlResponse(ConsoleTemplates.library.render(["view": view], withTemplate: "conversation_messages") ?? "")
            }
            return page(tenant, "conversation", title: "Conversation", values: ["view": view], session: session, current: "/console")
        }

        console.post("/conversations/{id}/reply") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (_, session) = try Self.signedIn(context, form: form)
            guard session.identity.can("messages:send") else { throw Problem(status: .forbidden, title: "Forbidden", detail: "Your role cannot send messages.") }
            let id = try context.parameter("id")
            let text = form["text"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", template = form["template"] ?? ""
            try await context.perform { tenant in
                guard let conversation = try tenant.services.conversations.find(tenantID: tenant.slug, id: id) else { throw Problem.notFound("Conversation \(id)") }
                let request = Outbound.Request(
                    contactID: conversation.contactID, channel: conversation.channel, type: template.isEmpty ? "session_text" : "template",
                    text: template.isEmpty ? text : nil, templateName: template.isEmpty ? nil : template)
                _ = try Outbound(services: tenant.services).send(request, tenant: tenant, actor: Actor(session.identity.actor))
            }
            return Self.redirect("/console/conversations/\(id)")
        }

        console.post("/conversations/{id}/note") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (_, session) = try Self.signedIn(context, form: form, permission: "conversations:write")
            let id = try context.parameter("id")
            let text = form["text"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !text.isEmpty, text.count <= 10_000 else {
                throw Problem(status: .unprocessableContent, title: "Invalid note", detail: "A note has 1 to 10,000 characters.")
            }
            let note = try await context.perform { tenant in
                try tenant.services.conversations.addNote(
                    tenantID: tenant.slug, conversationID: id, text: text, author: session.identity.name, actor: Actor(session.identity.actor))
            }
            guard note != nil else { throw Problem.notFound("Conversation \(id)") }
            return Self.redirect("/console/conversations/\(id)")
        }

        console.post("/conversations/{id}/owner") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (_, session) = try Self.signedIn(context, form: form)
            guard session.identity.can("conversations:write") else { throw Problem(status: .forbidden, title: "Forbidden", detail: "Your role cannot take over conversations.") }
            let id = try context.parameter("id")
            let owner = form["owner"] == "bot" ? "bot" : "human"
            try await context.perform { tenant in
                guard let change = try tenant.services.conversations.update(
                    tenantID: tenant.slug, id: id, assignee: .some(owner == "human" ? session.identity.name : nil), owner: owner,
                    actor: Actor(session.identity.actor))
                else { throw Problem.notFound("Conversation \(id)") }
                try tenant.services.audit.record(tenantID: tenant.slug, actor: session.identity.actor, action: owner == "human" ? "handover" : "handover_released", subject: id)
                tenant.automation.settle(contactID: change.after.contactID, tenant: tenant)
            }
            return Self.redirect("/console/conversations/\(id)")
        }
    }

    // MARK: Views

    struct InboxRow: Sendable {
        let link, contact, channel, status, owner, last, priority: String
        /// When the SLA runs out (the conversation's `sla_due_at` attribute, or a task's due time), and whether it has.
        let due: String
        let overdue: Bool
    }

    struct ConversationView: Sendable {
        struct MessageRow: Sendable { let direction, content, channel, status, time: String }
        struct TaskRow: Sendable { let title, status: String; let due: String? }
        struct TemplateRow: Sendable { let name, language: String }
        let id, contact, contactID, channel, status, owner: String
        let botOwned: Bool
        let messages: [MessageRow]
        let tasks: [TaskRow]
        let templates: [TemplateRow]
        let hasTemplates: Bool
    }

    // MARK: Helpers

    /// The tenant and the signed-in user; a missing session redirects to the sign-in page, a bad CSRF token is a 403.
    /// Pass the posted `form` of a state-changing request: its CSRF token must match the session's.
    /// A `permission` the user's role lacks is a 403.
    static func signedIn(_ context: AppRequestContext, form: [String: String]? = nil, permission: String? = nil) throws -> (Tenant, ConsoleSessions.Session) {
        let tenant = try context.requireTenant()
        guard let session = context.consoleSession else { throw ConsoleRedirect(location: "/console/login") }
        if let permission, !session.identity.can(permission) {
            throw Problem(status: .forbidden, title: "Forbidden", detail: "Your role cannot do this (it needs \(permission)).")
        }
        if let form { try ConsoleForms.requireCSRF(form, expected: session.csrfToken) }
        return (tenant, session)
    }

    static func inboxRows(_ tenant: Tenant, filter: String, identity: Identity) throws -> [InboxRow] {
        var query: [String: String] = [:]
        switch filter {
        case "email": query["channel"] = "email"
        case "whatsapp": query["channel"] = "whatsapp"
        case "mine": query["assignee"] = identity.name
        default: break
        }
        let now = Clock.nowMillis()
        if filter == "tasks" || filter == "overdue" {
            let tasks = try tenant.services.tasks.list(tenantID: tenant.slug, filter: filter == "overdue" ? ["overdue": "true"] : ["status": "open"], page: PageRequest(limit: 100))
            return tasks.data.map {
                InboxRow(link: $0.conversationID.map { "/console/conversations/\($0)" } ?? "#", contact: $0.title, channel: "task", status: $0.status,
                         owner: $0.assignee ?? "", last: "", priority: $0.priority,
                         due: $0.dueAt.map { due(until: $0, now: now) } ?? "", overdue: ($0.dueAt ?? .max) < now)
            }
        }
        let conversations = try tenant.services.conversations.list(tenantID: tenant.slug, filter: query, page: PageRequest(limit: 100))
        return try conversations.data.map { conversation in
            let contact = try tenant.services.contacts.find(tenantID: tenant.slug, .id(conversation.contactID))
            let dueAt = conversation.attributes["sla_due_at"]?.doubleValue.map { Int64($0) }
            return InboxRow(
                link: "/console/conversations/\(conversation.id)", contact: contact?.name ?? contact?.phone ?? contact?.email ?? "?",
                channel: conversation.channel, status: conversation.status, owner: conversation.assignee ?? conversation.owner,
                last: conversation.lastMessageAt.map { time($0, tenant) } ?? "",
                priority: conversation.attributes["priority"]?.stringValue ?? "normal",
                due: dueAt.map { due(until: $0, now: now) } ?? "", overdue: (dueAt ?? .max) < now)
        }
    }

    /// "in 1 h 20 min" or "overdue 35 min".
    static func due(until deadline: Int64, now: Int64) -> String {
        let minutes = abs(deadline - now) / 60_000
        let span = minutes >= 60 ? "\(minutes / 60) h \(minutes % 60) min" : "\(minutes) min"
        return deadline < now ? "overdue \(span)" : "in \(span)"
    }

    static func time(_ millis: Int64, _ tenant: Tenant) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: tenant.manifest.timezone)
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func cookie(_ name: String, _ value: String, _ request: Request) -> Cookie {
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" || request.uri.scheme == .https
        return Cookie(name: name, value: value, path: "/console", secure: secure, httpOnly: true, sameSite: .lax)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// Sends an unsigned browser to the sign-in page instead of answering with a problem.
struct ConsoleRedirect: Error, HTTPResponseError {
    let location: String
    var status: HTTPResponse.Status { .seeOther }
    func response(from request: Request, context: some RequestContext) throws -> Response { ConsoleRoutes.redirect(location) }
}

/// Resolves the session cookie of this tenant into the request's console session.
struct ConsoleSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let tenant = context.tenant, let session = try await ConsoleSessions.session(of: request, tenant: tenant) else {
            return try await next(request, context)
        }
        var context = context
        context.consoleSession = session
        context.identity = session.identity
        return try await next(request, context)
    }
}
