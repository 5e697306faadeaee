import NIOPosix
import SwitchboardJSON

/// Registers the channels' host jobs: handing inbound messages to plugins and rules, and delivering outbound ones.
/// Both block (plugin calls, libcurl), so they run on NIO's thread pool.
enum ChannelJobs {
    static func register(_ services: HostServices) {
        services.hostJobs.register(kind: InboundDispatcher.jobKind) { job, tenant in
            guard let messageID = job.payload["message_id"]?.stringValue else { throw JobFailure.permanent("no message_id in the payload") }
            let created = job.payload["conversation_created"]?.boolValue ?? false
            try await NIOThreadPool.singleton.runIfActive {
                try InboundDispatcher(services: services).dispatch(messageID: messageID, conversationCreated: created, tenant: tenant)
            }
        }
        services.hostJobs.register(kind: Outbound.deliverKind) { job, tenant in
            guard let messageID = job.payload["message_id"]?.stringValue else { throw JobFailure.permanent("no message_id in the payload") }
            do {
                _ = try await NIOThreadPool.singleton.runIfActive {
                    try OutboundDelivery(services: services).deliver(messageID: messageID, tenant: tenant, attempt: job.attempts, maxAttempts: job.maxAttempts)
                }
            } catch let error as DeliveryError {
                throw JobFailure.retry(error.description, afterMillis: error.retryAfterMillis)
            } catch let error as ChannelError {
                throw JobFailure.permanent(error.description)
            }
        }
        registerBlocking(services, kind: OutlookFetchJob.jobKind) { try OutlookFetchJob().run(payload: $0, tenant: $1, services: services) }
        registerBlocking(services, kind: OutlookSubscriptionJob.jobKind) { try OutlookSubscriptionJob().run(payload: $0, tenant: $1, services: services) }
        registerBlocking(services, kind: ChatwootSync.jobKind) { try ChatwootSync().run(payload: $0, tenant: $1, services: services) }
    }

    /// A job whose work blocks on libcurl: run on NIO's thread pool; a permanent provider refusal ends it, anything else retries.
    private static func registerBlocking(_ services: HostServices, kind: String, _ work: @escaping @Sendable (JSON, Tenant) throws -> Void) {
        services.hostJobs.register(kind: kind) { job, tenant in
            do {
                try await NIOThreadPool.singleton.runIfActive { try work(job.payload, tenant) }
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
