import Foundation
import SwitchboardJSON

/// Decides, before any send, whether a message may go now, must wait, or may not go at all
/// (seed 002 "Policy-first"): consent, the 24-hour service window or an approved template,
/// quiet hours and, where the manifest asks, business hours.
public struct PolicyEngine: Sendable {
    public enum Decision: Equatable, Sendable {
        case allow(at: Int64)
        /// Allowed later: quiet or business hours moved the send time.
        case reschedule(to: Int64, reason: String)
        case block(reason: String, detail: String)
    }

    /// What is about to be sent.
    public struct Draft: Sendable {
        public var channel: String
        public var type: String
        public var category: String?
        public var template: MessageTemplate?
        public var sendAt: Int64
        /// Sent by a bot (a plugin, a rule, the host) rather than by a person.
        public var automated = false
        /// The one message that may still go to a contact who just opted out: the confirmation of the opt-out.
        public var optOutConfirmation = false
    }

    public let messaging: MessagingSettings
    public let businessHours: [String: [String]]
    public let tenantTimezone: String

    /// A reply to a contact who wrote within this many milliseconds is not held by quiet hours:
    /// they are awake and waiting for the answer.
    public static let activeReplyGrace: Int64 = 10 * 60_000

    /// Channels whose provider enforces a customer-service window for free-form messages.
    static let windowedChannels: Set<String> = ["whatsapp"]

    public func decide(_ draft: Draft, contact: Contact, conversation: Conversation, now: Int64) -> Decision {
        let category = draft.category ?? draft.template?.category ?? "service"
        if contact.attributes["consent_status"]?.stringValue == "revoked" {
            if category.lowercased() == "marketing" {
                return .block(reason: OptOut.reason, detail: "the contact revoked consent; marketing messages may not be sent")
            }
            if draft.automated && !draft.optOutConfirmation {
                return .block(reason: OptOut.reason, detail: "the contact opted out; bots may only confirm the opt-out, and people may still answer")
            }
        }
        if Self.windowedChannels.contains(draft.channel), draft.type == "template",
            draft.template?.approvalStatus != "approved"
        {
            return .block(reason: "template_not_approved", detail: "template \(draft.template?.name ?? "?") is not approved for WhatsApp")
        }
        var sendAt = max(draft.sendAt, now)
        var shifted: String?
        let activelyChatting = (conversation.lastInboundAt ?? 0) >= now - Self.activeReplyGrace && draft.sendAt <= now
        if !activelyChatting {
            let timezone = TimeZone(identifier: contact.attributes["timezone"]?.stringValue ?? "") ?? TimeZone(identifier: tenantTimezone) ?? .gmt
            let quiet = nextAllowed(sendAt, windows: { _ in [(messaging.allowedFrom, messaging.allowedUntil)] }, in: timezone)
            if quiet != sendAt { shifted = "quiet_hours" }
            sendAt = quiet
            if messaging.businessHoursOnly, !businessHours.isEmpty {
                let tenantZone = TimeZone(identifier: tenantTimezone) ?? .gmt
                let open = nextAllowed(sendAt, windows: businessWindows, in: tenantZone)
                if open != sendAt { shifted = shifted ?? "business_hours" }
                sendAt = open
            }
        }
        if Self.windowedChannels.contains(draft.channel), draft.type != "template" {
            let windowEnds = conversation.serviceWindowExpiresAt
                ?? conversation.lastInboundAt.map { $0 + Int64(messaging.serviceWindowHours) * 3_600_000 } ?? 0
            if sendAt >= windowEnds {
                return .block(
                    reason: "outside_service_window",
                    detail: "the contact's last message is more than \(messaging.serviceWindowHours) h old at the send time; only an approved template may be sent")
            }
        }
        if let shifted { return .reschedule(to: sendAt, reason: shifted) }
        return .allow(at: sendAt)
    }

    /// The business-hours windows of a weekday (1 = Sunday … 7 = Saturday), in minutes since midnight.
    private func businessWindows(_ weekday: Int) -> [(Int, Int)] {
        let keys = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        return (businessHours[keys[(weekday - 1) % 7]] ?? []).compactMap { range in
            let parts = range.split(separator: "-")
            guard parts.count == 2, let from = ManifestParser.minutes(parts[0]), let until = ManifestParser.minutes(parts[1]) else { return nil }
            return (from, until)
        }
    }

    /// The first minute at or after `time` that falls inside one of the day's windows, searching up to 8 days ahead.
    func nextAllowed(_ time: Int64, windows: (Int) -> [(Int, Int)], in timezone: TimeZone) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let date = Date(timeIntervalSince1970: Double(time) / 1000)
        let startOfDay = calendar.startOfDay(for: date)
        for dayOffset in 0..<8 {
            guard let day = calendar.date(byAdding: .day, value: dayOffset, to: startOfDay) else { continue }
            let weekday = calendar.component(.weekday, from: day)
            for (from, until) in windows(weekday).sorted(by: { $0.0 < $1.0 }) {
                guard let opens = calendar.date(byAdding: .minute, value: from, to: day),
                    let closes = calendar.date(byAdding: .minute, value: until, to: day)
                else { continue }
                if date < opens { return Int64(opens.timeIntervalSince1970 * 1000) }
                if date < closes { return time }
            }
        }
        return time
    }
}
