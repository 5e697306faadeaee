import SwitchboardJSON

/// Registers the channels' host jobs: delivering outbound messages and the provider syncs. Their provider calls are
/// awaited on the host's curl thread; their storage calls run where the database driver runs them.
enum ChannelJobs {
    /// The job of releases before the event pipeline, which handed an inbound message to the plugins and rules.
    static let legacyDispatchKind = "message.dispatch"

    static func register(_ services: HostServices) {
        // A dispatch job still pending from an earlier release becomes the message's `message.received` event.
        services.hostJobs.register(kind: legacyDispatchKind) { job, tenant in
            guard let messageID = job.payload["message_id"]?.stringValue else { throw JobFailure.permanent("no message_id in the payload") }
            try await services.database.perform {
                try services.database.transaction { connection in
                    guard let row = try connection.query(
                        "SELECT contact_id, conversation_id, channel, created_at, sent_at FROM messages WHERE tenant_id = $1 AND id = $2",
                        [.text(tenant.slug), .text(messageID)]
                    ).first else { return }
                    let sentAt = row.int("sent_at") ?? row.int("created_at") ?? Clock.nowMillis()
                    try services.events.record(
                        EventDraft(
                            EventCatalogue.messageReceived,
                            data: [
                                "message_id": .string(messageID), "channel": .string(row.string("channel") ?? ""),
                                "conversation_created": .bool(job.payload["conversation_created"]?.boolValue ?? false),
                                "sent_at": .number(Double(sentAt)),
                            ],
                            contactID: row.string("contact_id"), conversationID: row.string("conversation_id"), occurredAt: sentAt),
                        tenantID: tenant.slug, actor: "system:upgrade", in: connection)
                }
            }
        }
        services.hostJobs.register(kind: Outbound.deliverKind) { job, tenant in
            guard let messageID = job.payload["message_id"]?.stringValue else { throw JobFailure.permanent("no message_id in the payload") }
            do {
                _ = try await OutboundDelivery(services: services).deliver(
                    messageID: messageID, tenant: tenant, attempt: job.attempts, maxAttempts: job.maxAttempts)
            } catch let error as DeliveryError {
                throw JobFailure.retry(error.description, afterMillis: error.retryAfterMillis)
            } catch let error as ChannelError {
                throw JobFailure.permanent(error.description)
            }
        }
        registerProviderJob(services, kind: OutlookFetchJob.jobKind) { try await OutlookFetchJob().run(payload: $0, tenant: $1, services: services) }
        registerProviderJob(services, kind: OutlookSubscriptionJob.jobKind) {
            try await OutlookSubscriptionJob().run(payload: $0, tenant: $1, services: services)
        }
        registerProviderJob(services, kind: ChatwootSync.jobKind) { try await ChatwootSync().run(payload: $0, tenant: $1, services: services) }
    }

    /// A job that talks to a provider: a permanent refusal ends it, anything else retries.
    private static func registerProviderJob(_ services: HostServices, kind: String, _ work: @escaping @Sendable (JSON, Tenant) async throws -> Void) {
        services.hostJobs.register(kind: kind) { job, tenant in
            do {
                try await work(job.payload, tenant)
            } catch DeliveryError.permanent(let code, let message) {
                throw JobFailure.permanent("\(code): \(message)")
            } catch let error as DeliveryError {
                throw JobFailure.retry(error.description, afterMillis: error.retryAfterMillis)
            } catch let error as ChannelError {
                throw JobFailure.permanent(error.description)
            }
        }
    }
}
