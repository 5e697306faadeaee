import Hummingbird

/// `/api/v1/jobs`: the tenant's durable jobs. `status=dead` is the dead-letter list, and a dead job can be retried.
struct JobRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/jobs", "List jobs, newest first, by status or kind; status=dead is the dead-letter list",
                tag: "jobs", permission: "jobs:read", response: "JobPage") { request, context in
            let page = try request.pageRequest()
            let status = request.uri.queryParameters.get("status")
            if let status, !JobRecord.statuses.contains(status) {
                throw Problem(
                    status: .unprocessableContent, title: "Validation failed", detail: "Unknown job status \(status).",
                    errors: [.init(path: "status", message: "must be one of \(JobRecord.statuses.sorted().joined(separator: ", "))")])
            }
            let kind = request.uri.queryParameters.get("kind")
            return try json(try await context.perform { try $0.services.jobs.page(tenantID: $0.slug, status: status, kind: kind, page: page) })
        }

        api.add(.post, "/api/v1/jobs/{id}/retry", "Run a dead or failed job again now, with its attempts reset", tag: "jobs",
                permission: "jobs:write", response: "Job") { _, context in
            let id = try context.parameter("id")
            let actor = context.identity?.actor ?? "api"
            let result = try await context.perform { tenant in
                try tenant.services.jobs.retry(tenantID: tenant.slug, id: id, actor: actor, now: Clock.nowMillis())
            }
            switch result {
            case .retried(let job):
                return try json(job)
            case .notFound:
                throw Problem.notFound("Job \(id)")
            case .notRetryable(let status):
                throw Problem(status: .conflict, title: "Conflict", detail: "Job \(id) is \(status); only dead or failed jobs can be retried.")
            case .uniqueKeyTaken:
                throw Problem(status: .conflict, title: "Conflict", detail: "Another pending or running job has the unique key of job \(id).")
            }
        }
    }
}
