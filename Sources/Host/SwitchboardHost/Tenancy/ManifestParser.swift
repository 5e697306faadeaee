import Foundation
import SwitchboardJSON
import Yams

/// Reads a tenant manifest from YAML and checks everything that can be checked
/// from the file alone: the schema, types, formats, the timezone and inline secrets.
/// It collects every problem, each with its path and line, instead of stopping at the first.
///
/// Checks that need the running host (plugin ids, taken domains, route clashes)
/// are in `ManifestValidator`.
public struct ManifestParser {
    private var issues: [ManifestIssue] = []
    /// The position of each path in the YAML, for issues found after parsing.
    private(set) var marks: [String: Mark] = [:]

    public init() {}

    /// Parses `yaml`. Returns the manifest and the marks of its nodes, or throws
    /// `ManifestValidationError` listing every problem.
    public static func parse(_ yaml: String) throws -> (TenantManifest, [String: Mark]) {
        let result = parseCollectingIssues(yaml)
        guard let manifest = result.manifest, result.issues.isEmpty else {
            throw ManifestValidationError(issues: result.issues)
        }
        return (manifest, result.marks)
    }

    /// Parses `yaml` as far as it can: the manifest (with what could be read, unless the YAML
    /// itself is broken), the marks of its nodes, and every problem found.
    static func parseCollectingIssues(_ yaml: String) -> (manifest: TenantManifest?, marks: [String: Mark], issues: [ManifestIssue]) {
        var parser = ManifestParser()
        let manifest = parser.parseDocument(yaml)
        return (manifest, parser.marks, parser.issues)
    }

    static let topLevelKeys: Set<String> = [
        "slug", "name", "domains", "locale", "timezone", "business_hours", "branding", "plugins", "roles", "egress",
        "secrets", "attributes", "automation_rules", "channels", "messaging", "calendar",
    ]
    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    private mutating func parseDocument(_ yaml: String) -> TenantManifest? {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                issue("", nil, "the manifest is empty")
                return nil
            }
            root = node
        } catch let error as YamlError {
            issues.append(Self.issue(from: error))
            return nil
        } catch {
            issue("", nil, "not valid YAML: \(error)")
            return nil
        }
        guard let mapping = root.mapping else {
            issue("", root, "a manifest is a mapping of keys such as slug, name and domains")
            return nil
        }
        for (key, _) in mapping {
            if let name = key.string, !Self.topLevelKeys.contains(name) {
                issue(name, key, "unknown key \"\(name)\"; expected one of \(Self.topLevelKeys.sorted().joined(separator: ", "))")
            }
        }
        let slug = requiredString(mapping, "slug", "")
        if let slug, slug.range(of: #"^[a-z0-9][a-z0-9-]{1,39}$"#, options: .regularExpression) == nil {
            issue("slug", mapping["slug"], "must be 2 to 40 characters of a-z, 0-9 and '-', starting with a letter or digit")
        }
        let name = requiredString(mapping, "name", "")
        let domains = domainList(mapping["domains"], "domains")
        let locale = optionalString(mapping, "locale", "") ?? "en"
        if locale.range(of: #"^[a-z]{2}(-[A-Z]{2})?$"#, options: .regularExpression) == nil {
            issue("locale", mapping["locale"], "must look like \"nl\" or \"nl-NL\"")
        }
        let timezone = optionalString(mapping, "timezone", "") ?? "UTC"
        if TimeZone(identifier: timezone) == nil {
            issue("timezone", mapping["timezone"], "\"\(timezone)\" is not an IANA timezone such as Europe/Amsterdam")
        }
        let businessHours = parseBusinessHours(mapping["business_hours"])
        let branding = parseBranding(mapping["branding"], defaultName: name ?? slug ?? "")
        let plugins = parsePlugins(mapping["plugins"])
        let roles = parseRoles(mapping["roles"])
        let egress = stringList(mapping["egress"], "egress")
        for (index, host) in egress.enumerated()
        where host.range(of: #"^(\*\.)?[a-z0-9.-]+(:[0-9]+)?$"#, options: .regularExpression) == nil {
            issue("egress[\(index)]", mapping["egress"]?.sequence?[index], "\"\(host)\" is not a host name (wildcards as *.example.com)")
        }
        let secrets = parseSecrets(mapping["secrets"])
        let attributes = parseAttributes(mapping["attributes"])
        let rules = parseRules(mapping["automation_rules"])
        let channels = parseChannels(mapping["channels"])
        let messaging = parseMessaging(mapping["messaging"])
        let googleCalendar = parseCalendar(mapping["calendar"])

        return TenantManifest(
            slug: slug ?? "", name: name ?? "", domains: domains, locale: locale, timezone: timezone,
            businessHours: businessHours, branding: branding, plugins: plugins, roles: roles, egress: egress,
            secrets: secrets, attributes: attributes, automationRules: rules, channels: channels, messaging: messaging,
            googleCalendar: googleCalendar, source: yaml)
    }

    // MARK: Sections

    private mutating func parseBusinessHours(_ node: Node?) -> [String: [String]] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            issue("business_hours", node, "must map weekdays (mon … sun) to ranges such as \"09:00-17:30\"")
            return [:]
        }
        var hours: [String: [String]] = [:]
        for (key, value) in mapping {
            let day = key.string ?? ""
            let path = "business_hours.\(day)"
            guard Self.weekdays.contains(day) else {
                issue(path, key, "unknown weekday \"\(day)\"; use mon, tue, wed, thu, fri, sat or sun")
                continue
            }
            let ranges = value.scalar != nil ? [value.string ?? ""] : stringList(value, path)
            for (index, range) in ranges.enumerated() where range != "closed" && !Self.isTimeRange(range) {
                issue(ranges.count > 1 ? "\(path)[\(index)]" : path, value, "\"\(range)\" is not a range like 09:00-17:30, or \"closed\"")
            }
            hours[day] = ranges.filter { $0 != "closed" }
        }
        return hours
    }

    static func isTimeRange(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]) else { return false }
        return start < end
    }

    /// Minutes since midnight of "HH:MM".
    static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]),
            (0...24).contains(hours), (0..<60).contains(minutes), hours * 60 + minutes <= 1440
        else { return nil }
        return hours * 60 + minutes
    }

    private mutating func parseBranding(_ node: Node?, defaultName: String) -> TenantManifest.Branding {
        var branding = TenantManifest.Branding(
            name: defaultName, logoURL: nil, primaryColor: "#1f2937", accentColor: "#2563eb", emailSender: nil)
        guard let node else { return branding }
        guard let mapping = node.mapping else {
            issue("branding", node, "must be a mapping with name, logo_url, primary_color, accent_color, email_sender")
            return branding
        }
        let known: Set<String> = ["name", "logo_url", "primary_color", "accent_color", "email_sender"]
        for (key, _) in mapping where !known.contains(key.string ?? "") {
            issue("branding.\(key.string ?? "")", key, "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        branding.name = optionalString(mapping, "name", "branding") ?? branding.name
        branding.logoURL = optionalString(mapping, "logo_url", "branding")
        if let logo = branding.logoURL, !(logo.hasPrefix("https://") || logo.hasPrefix("http://") || logo.hasPrefix("/")) {
            issue("branding.logo_url", mapping["logo_url"], "must be an http(s) URL or a path starting with /")
        }
        for (key, keyPath) in [("primary_color", \TenantManifest.Branding.primaryColor), ("accent_color", \.accentColor)] {
            guard let color = optionalString(mapping, key, "branding") else { continue }
            if color.range(of: #"^#[0-9a-fA-F]{6}$"#, options: .regularExpression) == nil {
                issue("branding.\(key)", mapping[key], "\"\(color)\" is not a colour like #1a2b3c")
            } else {
                branding[keyPath: keyPath] = color
            }
        }
        branding.emailSender = optionalString(mapping, "email_sender", "branding")
        if let sender = branding.emailSender, !sender.contains("@") {
            issue("branding.email_sender", mapping["email_sender"], "must hold an email address, e.g. \"Mr. DJ <info@mr-dj.nl>\"")
        }
        return branding
    }

    private mutating func parsePlugins(_ node: Node?) -> [TenantManifest.PluginReference] {
        guard let node else { return [] }
        guard let sequence = node.sequence else {
            issue("plugins", node, "must be a list of {id, version?, config?, isolation?, timeout_ms?}")
            return []
        }
        var references: [TenantManifest.PluginReference] = []
        var seen: Set<String> = []
        for (index, item) in sequence.enumerated() {
            let path = "plugins[\(index)]"
            mark(path, item)
            guard let mapping = item.mapping else {
                issue(path, item, "must be a mapping with id, version? and config?")
                continue
            }
            for (key, _) in mapping where !["id", "version", "config", "isolation", "timeout_ms"].contains(key.string ?? "") {
                issue("\(path).\(key.string ?? "")", key, "unknown key; expected id, version, config, isolation or timeout_ms")
            }
            guard let id = requiredString(mapping, "id", path) else { continue }
            if !seen.insert(id).inserted {
                issue("\(path).id", mapping["id"], "plugin \"\(id)\" is listed twice")
            }
            let version = optionalString(mapping, "version", path)
            let config = mapping["config"].map { configJSON($0, path: "\(path).config") } ?? .object([:])
            if mapping["config"] != nil, config.objectValue == nil {
                issue("\(path).config", mapping["config"], "must be a mapping")
            }
            references.append(TenantManifest.PluginReference(id: id, version: version, config: config, isolation: isolation(mapping, path)))
        }
        return references
    }

    /// A plugin's `isolation: inline | process` (default inline) and its `timeout_ms`: the time a call may take, after
    /// which an inline call is logged and counted (an HTTP request gets a 504) and a worker process is killed.
    private mutating func isolation(_ mapping: Node.Mapping, _ path: String) -> PluginIsolation {
        var timeout: Duration?
        if let node = mapping["timeout_ms"] {
            mark("\(path).timeout_ms", node)
            if let millis = node.int, (1...600_000).contains(millis) {
                timeout = .milliseconds(millis)
            } else {
                issue("\(path).timeout_ms", node, "must be 1 to 600000 (milliseconds)")
            }
        }
        switch optionalString(mapping, "isolation", path) ?? "inline" {
        case "inline":
            return .inline(budget: timeout)
        case "process":
            return .process(timeout: timeout)
        default:
            issue("\(path).isolation", mapping["isolation"], "must be inline or process")
            return .inline(budget: nil)
        }
    }

    private mutating func parseAttributes(_ node: Node?) -> AttributeSchema {
        guard let node else { return AttributeSchema() }
        guard let mapping = node.mapping else {
            issue("attributes", node, "must map contact and conversation to {name: type}")
            return AttributeSchema()
        }
        var schema = AttributeSchema()
        for (key, value) in mapping {
            let scope = key.string ?? ""
            guard scope == "contact" || scope == "conversation" else {
                issue("attributes.\(scope)", key, "expected contact or conversation")
                continue
            }
            guard let definitions = value.mapping else {
                issue("attributes.\(scope)", value, "must map attribute names to types")
                continue
            }
            var types: [String: AttributeSchema.Kind] = [:]
            for (name, type) in definitions {
                let attribute = name.string ?? ""
                let path = "attributes.\(scope).\(attribute)"
                guard let kind = type.string.flatMap(AttributeSchema.Kind.init(rawValue:)) else {
                    issue(path, type, "type must be one of \(AttributeSchema.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                types[attribute] = kind
            }
            if scope == "contact" { schema.contact = types } else { schema.conversation = types }
        }
        return schema
    }

    /// `channels:` maps channel kinds to their settings; without the section, only the sandbox is enabled.
    private mutating func parseChannels(_ node: Node?) -> [String: ChannelConfig] {
        guard let node else { return ["sandbox": ChannelConfig(kind: "sandbox", values: [:])] }
        guard let mapping = node.mapping else {
            issue("channels", node, "must map channel kinds (sandbox, whatsapp, twilio, chatwoot, outlook, sms, smtp) to settings")
            return [:]
        }
        var channels: [String: ChannelConfig] = [:]
        for (key, value) in mapping {
            let kind = key.string ?? ""
            let path = "channels.\(kind)"
            let json = value.scalar?.string == "" || value.scalar.map({ Self.scalarJSON($0) == .null }) == true ? JSON.null : configJSON(value, path: path)
            let (config, problems) = ChannelConfig.parse(kind: kind, json: json, path: path)
            for problem in problems { issue(problem.path, value, problem.message) }
            if let config { channels[kind] = config }
        }
        return channels
    }

    /// `calendar:` holds external calendars; today `google` (see `GoogleCalendar.settings`).
    private mutating func parseCalendar(_ node: Node?) -> ChannelConfig? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            issue("calendar", node, "must be a mapping with google")
            return nil
        }
        var google: ChannelConfig?
        for (key, value) in mapping {
            guard key.string == "google" else {
                issue("calendar.\(key.string ?? "")", key, "unknown calendar; expected google")
                continue
            }
            let (config, problems) = ChannelConfig.parse(
                kind: "google", spec: GoogleCalendar.settings, json: configJSON(value, path: "calendar.google"), path: "calendar.google")
            for problem in problems { issue(problem.path, value, problem.message) }
            google = config
        }
        return google
    }

    private mutating func parseMessaging(_ node: Node?) -> MessagingSettings {
        var settings = MessagingSettings()
        guard let node else { return settings }
        guard let mapping = node.mapping else {
            issue("messaging", node, "must be a mapping with allowed_hours, business_hours_only, service_window_hours, opt_out_keywords")
            return settings
        }
        for (key, value) in mapping {
            let name = key.string ?? ""
            let path = "messaging.\(name)"
            switch name {
            case "allowed_hours":
                let text = value.string ?? ""
                let parts = text.split(separator: "-")
                if parts.count == 2, let from = Self.minutes(parts[0]), let until = Self.minutes(parts[1]), from < until {
                    settings.allowedFrom = from
                    settings.allowedUntil = until
                } else {
                    issue(path, value, "must be a range like 07:00-23:00 (sending is allowed inside it)")
                }
            case "business_hours_only":
                guard let flag = value.bool else { issue(path, value, "must be true or false"); continue }
                settings.businessHoursOnly = flag
            case "service_window_hours":
                guard let hours = value.int, (1...168).contains(hours) else { issue(path, value, "must be 1 to 168"); continue }
                settings.serviceWindowHours = hours
            case "opt_out_keywords":
                guard let words = value.sequence?.map({ $0.string?.lowercased().trimmingCharacters(in: .whitespaces) ?? "" }),
                    words.allSatisfy({ !$0.isEmpty && $0.count <= 40 })
                else { issue(path, value, "must be a list of words (an empty list turns keyword opt-outs off)"); continue }
                settings.optOutKeywords = words
            default:
                issue(path, key, "unknown setting; expected allowed_hours, business_hours_only, service_window_hours, opt_out_keywords")
            }
        }
        return settings
    }

    private mutating func parseRules(_ node: Node?) -> [AutomationRule] {
        guard let node else { return [] }
        guard let sequence = node.sequence else {
            issue("automation_rules", node, "must be a list of rules {name, event, conditions, actions}")
            return []
        }
        var rules: [AutomationRule] = []
        var names: Set<String> = []
        for (index, item) in sequence.enumerated() {
            let path = "automation_rules[\(index)]"
            mark(path, item)
            let json = configJSON(item, path: path)
            let name = json["name"]?.stringValue ?? ""
            let (rule, problems) = AutomationRule.parse(json, path: path, id: "manifest:\(name)", source: "manifest")
            for problem in problems { issue(problem.path, item, problem.message) }
            if !name.isEmpty, !names.insert(name).inserted { issue("\(path).name", item, "rule \"\(name)\" is defined twice") }
            if let rule { rules.append(rule) }
        }
        return rules
    }

    private mutating func parseRoles(_ node: Node?) -> [String: [String]] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            issue("roles", node, "must map role names to lists of permissions such as crm:read")
            return [:]
        }
        var roles: [String: [String]] = [:]
        for (key, value) in mapping {
            let role = key.string ?? ""
            let path = "roles.\(role)"
            if RoleBook.builtIn[role] != nil {
                issue(path, key, "\(role) is a built-in role; give an extra role its own name")
            }
            if role.range(of: #"^[a-z][a-z0-9_-]*$"#, options: .regularExpression) == nil {
                issue(path, key, "role names are lowercase letters, digits, '_' and '-'")
            }
            let permissions = stringList(value, path)
            for (index, permission) in permissions.enumerated()
            where permission.range(of: #"^[a-z_]+:[a-z_*]+$"#, options: .regularExpression) == nil {
                issue("\(path)[\(index)]", value.sequence?[index] ?? value, "\"\(permission)\" is not a permission like contacts:read")
            }
            roles[role] = permissions
        }
        return roles
    }

    private mutating func parseSecrets(_ node: Node?) -> [String: String] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            issue("secrets", node, "must map names to env:VARIABLE references")
            return [:]
        }
        var secrets: [String: String] = [:]
        for (key, value) in mapping {
            let name = key.string ?? ""
            guard let reference = value.string, Self.isEnvReference(reference) else {
                issue("secrets.\(name)", value, "must be an env:VARIABLE reference; secrets are never written inline")
                continue
            }
            secrets[name] = reference
        }
        return secrets
    }

    static func isEnvReference(_ text: String) -> Bool {
        text.range(of: #"^env:[A-Z_][A-Z0-9_]*$"#, options: .regularExpression) != nil
    }

    /// Converts a config node to JSON, refusing inline values under secret-looking keys.
    private mutating func configJSON(_ node: Node, path: String) -> JSON {
        switch node {
        case .scalar(let scalar):
            return Self.scalarJSON(scalar)
        case .sequence(let sequence):
            return .array(sequence.enumerated().map { configJSON($1, path: "\(path)[\($0)]") })
        case .mapping(let mapping):
            var members: [String: JSON] = [:]
            for (key, value) in mapping {
                let name = key.string ?? ""
                let childPath = "\(path).\(name)"
                if Self.looksSecret(name), let text = value.string, !Self.isEnvReference(text) {
                    issue(childPath, value, "looks like a secret: use an env:VARIABLE reference, never an inline value")
                }
                members[name] = configJSON(value, path: childPath)
            }
            return .object(members)
        case .alias:
            issue(path, node, "YAML aliases are not supported in manifests")
            return .null
        }
    }

    /// A scalar as JSON: quoted scalars are strings; plain ones follow YAML 1.2's core schema.
    static func scalarJSON(_ scalar: Node.Scalar) -> JSON {
        let text = scalar.string
        guard scalar.style == .plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if text.count < 16, let integer = Int(text) { return .number(Double(integer)) }
        if text.range(of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
            let number = Double(text)
        {
            return .number(number)
        }
        return .string(text)
    }

    static func looksSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return ["secret", "password", "api_key", "apikey", "access_token", "auth_token", "app_secret"].contains { key == $0 || key.hasSuffix("_" + $0) }
    }

    // MARK: Scalars and lists

    private mutating func requiredString(_ mapping: Node.Mapping, _ key: String, _ parent: String) -> String? {
        let path = parent.isEmpty ? key : "\(parent).\(key)"
        guard let node = mapping[key] else {
            issue(path, nil, "is required")
            return nil
        }
        mark(path, node)
        guard let text = node.scalar?.string, !text.isEmpty else {
            issue(path, node, "must be a non-empty string")
            return nil
        }
        return text
    }

    private mutating func optionalString(_ mapping: Node.Mapping, _ key: String, _ parent: String) -> String? {
        guard let node = mapping[key] else { return nil }
        let path = parent.isEmpty ? key : "\(parent).\(key)"
        mark(path, node)
        guard let text = node.scalar?.string else {
            issue(path, node, "must be a string")
            return nil
        }
        return text
    }

    private mutating func stringList(_ node: Node?, _ path: String) -> [String] {
        guard let node else { return [] }
        mark(path, node)
        guard let sequence = node.sequence else {
            issue(path, node, "must be a list of strings")
            return []
        }
        var values: [String] = []
        for (index, item) in sequence.enumerated() {
            mark("\(path)[\(index)]", item)
            guard let text = item.scalar?.string, !text.isEmpty else {
                issue("\(path)[\(index)]", item, "must be a non-empty string")
                continue
            }
            values.append(text)
        }
        return values
    }

    private mutating func domainList(_ node: Node?, _ path: String) -> [String] {
        guard node != nil else {
            issue(path, nil, "is required: list the host names this tenant answers on")
            return []
        }
        let domains = stringList(node, path).map { $0.lowercased() }
        if domains.isEmpty, node?.sequence != nil {
            issue(path, node, "must list at least one host name")
        }
        for (index, domain) in domains.enumerated()
        where domain.range(of: #"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"#, options: .regularExpression) == nil {
            issue("\(path)[\(index)]", node?.sequence?[index], "\"\(domain)\" is not a host name (no scheme, port or path)")
        }
        return domains
    }

    // MARK: Issues

    private mutating func mark(_ path: String, _ node: Node) {
        if let mark = node.mark { marks[path] = mark }
    }

    private mutating func issue(_ path: String, _ node: Node?, _ message: String) {
        let mark = node?.mark ?? marks[path]
        issues.append(ManifestIssue(path: path, line: mark?.line, column: mark?.column, message: message))
    }

    static func issue(from error: YamlError) -> ManifestIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ManifestIssue(path: "", line: mark.line, column: mark.column, message: "not valid YAML: \(problem)")
        default:
            return ManifestIssue(path: "", line: nil, column: nil, message: "not valid YAML: \(error)")
        }
    }
}
