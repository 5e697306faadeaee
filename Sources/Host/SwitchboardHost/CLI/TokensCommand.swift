import ArgumentParser
import Foundation

struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create, list and revoke a tenant's API tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API token; its secret is printed once and never stored.")
        @OptionGroup var options: HostOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Option(help: "The token's role: admin, sales, marketing, operations, agent, viewer or one the manifest defines.") var role: String
        @Option(help: "A name that says what the token is for.") var name: String

        func run() throws {
            let host = try openTenant(options, tenant)
            guard host.roles.permissions(of: role) != nil else {
                throw ValidationError("unknown role \(role); roles of \(tenant): \(host.roles.roles.keys.sorted().joined(separator: ", "))")
            }
            let token = try host.services.credentials.createToken(tenantID: tenant, name: name, role: role, actor: "cli")
            print("created token \(token.prefix) (\(role)) for \(tenant)")
            print("secret (shown once, store it now):")
            print(token.secret)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's tokens (prefixes, never secrets).")
        @OptionGroup var options: HostOptions
        @Option(help: "The tenant's slug.") var tenant: String

        func run() throws {
            let host = try openTenant(options, tenant)
            let tokens = try host.services.credentials.tokens(tenantID: tenant)
            if tokens.isEmpty { print("no tokens for \(tenant)") }
            for token in tokens {
                let state = token.revokedAt == nil ? "active " : "revoked"
                print("\(token.prefix)  \(state)  \(token.role.padding(toLength: 10, withPad: " ", startingAt: 0))  \(token.name)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its prefix or id.")
        @OptionGroup var options: HostOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Argument(help: "The token's prefix (sbt_…) or id.") var token: String

        func run() throws {
            let host = try openTenant(options, tenant)
            guard try host.services.credentials.revokeToken(tenantID: tenant, idOrPrefix: token, actor: "cli") else {
                throw ValidationError("no live token \(token) in \(tenant)")
            }
            print("revoked \(token)")
        }
    }
}

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Create a tenant's users.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user; the password is read from SWITCHBOARD_PASSWORD or standard input.")
        @OptionGroup var options: HostOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Option(help: "The user's email, used to log in.") var email: String
        @Option(help: "The user's display name.") var name: String
        @Option(help: "The user's role.") var role: String

        func run() throws {
            let host = try openTenant(options, tenant)
            guard host.roles.permissions(of: role) != nil else {
                throw ValidationError("unknown role \(role); roles of \(tenant): \(host.roles.roles.keys.sorted().joined(separator: ", "))")
            }
            let password = ProcessInfo.processInfo.environment["SWITCHBOARD_PASSWORD"] ?? readLine(strippingNewline: true) ?? ""
            guard password.count >= 12 else { throw ValidationError("the password must be at least 12 characters") }
            do {
                let user = try host.services.credentials.createUser(tenantID: tenant, email: email, name: name, role: role, password: password, actor: "cli")
                print("created user \(user.email) (\(user.role)) in \(tenant)")
            } catch let exists as CredentialStore.UserExists {
                throw ValidationError("\(exists) in \(tenant)")
            }
        }
    }
}

/// Opens storage and finds a stored tenant by slug, for the credential commands.
private func openTenant(_ options: HostOptions, _ slug: String) throws -> Tenant {
    var configuration = try options.configuration()
    configuration.tenantsDirectory = nil
    let host = try SwitchboardHost.start(configuration, logger: quietLogger())
    guard let tenant = host.registry.tenant(slug: slug) else {
        throw ValidationError("no running tenant \(slug); known: \(host.registry.active.map(\.slug).joined(separator: ", "))")
    }
    return tenant
}
