import SwitchboardJSON

/// The component schemas of the core API's OpenAPI document.
enum OpenAPISchemas {
    private static func object(_ properties: [String: JSON], required: [String] = []) -> JSON {
        var schema: [String: JSON] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(JSON.string)) }
        return .object(schema)
    }

    private static let string: JSON = ["type": "string"]
    private static let nullableString: JSON = ["type": ["string", "null"]]
    private static let integer: JSON = ["type": "integer"]
    private static let nullableInteger: JSON = ["type": ["integer", "null"]]
    private static let boolean: JSON = ["type": "boolean"]
    private static let strings: JSON = ["type": "array", "items": ["type": "string"]]
    private static let anyObject: JSON = ["type": "object", "additionalProperties": true]

    private static func ref(_ name: String) -> JSON { ["$ref": .string("#/components/schemas/\(name)")] }

    private static func page(_ item: String) -> JSON {
        object(["data": ["type": "array", "items": ref(item)], "next_cursor": nullableString], required: ["data"])
    }

    private static func list(_ item: String) -> JSON {
        object(["data": ["type": "array", "items": ref(item)]], required: ["data"])
    }

    static let all: [String: JSON] = [
        "Problem": object([
            "type": string, "title": string, "status": integer, "detail": string,
            "errors": ["type": "array", "items": object(["path": string, "message": string, "line": integer, "column": integer])],
        ], required: ["type", "title", "status"]),
        "Contact": object([
            "id": string, "name": nullableString, "phone": nullableString, "email": nullableString, "attributes": anyObject,
            "labels": strings, "created_at": integer, "updated_at": integer,
        ], required: ["id", "attributes", "labels"]),
        "ContactInput": object([
            "name": string, "phone": ["type": "string", "pattern": .string(Formats.e164)], "email": ["type": "string", "format": "email"],
            "attributes": anyObject, "labels": strings,
        ]),
        "ContactPage": page("Contact"),
        "Attributes": anyObject,
        "LabelsInput": object(["labels": strings], required: ["labels"]),
        "Conversation": object([
            "id": string, "contact_id": string, "channel": string, "status": string, "assignee": nullableString, "team": nullableString,
            "attributes": anyObject, "labels": strings, "last_inbound_at": nullableInteger, "last_message_at": nullableInteger,
            "last_outbound_at": nullableInteger, "service_window_expires_at": nullableInteger,
            "owner": ["type": "string", "enum": ["bot", "human"]], "thread_key": nullableString,
            "created_at": integer, "updated_at": integer,
        ], required: ["id", "contact_id", "channel", "status"]),
        "ConversationInput": object([
            "status": ["type": "string", "enum": .array(Conversation.statuses.sorted().map(JSON.string))], "assignee": nullableString,
            "team": nullableString, "attributes": anyObject,
        ]),
        "ConversationPage": page("Conversation"),
        "Message": object([
            "id": string, "conversation_id": nullableString, "contact_id": string, "direction": string, "channel": string, "type": string,
            "content": nullableString, "template_name": nullableString, "status": string, "provider_message_id": nullableString,
            "error_code": nullableString, "sent_by": nullableString, "category": nullableString, "send_at": nullableInteger,
            "sent_at": nullableInteger, "created_at": integer,
        ], required: ["id", "contact_id", "direction", "channel", "status"]),
        "MessagePage": page("Message"),
        "Label": object(["name": string, "color": string, "description": nullableString, "count": integer], required: ["name"]),
        "LabelList": list("Label"),
        "Task": object([
            "id": string, "title": string, "description": nullableString, "task_type": string, "priority": string, "status": string,
            "assignee": nullableString, "contact_id": nullableString, "conversation_id": nullableString, "due_at": nullableInteger,
            "reminder_at": nullableInteger, "completed_at": nullableInteger, "created_by": string, "created_at": integer, "updated_at": integer,
        ], required: ["id", "title", "task_type", "priority", "status"]),
        "TaskInput": object([
            "title": string, "description": nullableString,
            "task_type": ["type": "string", "enum": .array(TaskItem.types.sorted().map(JSON.string))],
            "priority": ["type": "string", "enum": .array(TaskItem.priorities.sorted().map(JSON.string))],
            "status": ["type": "string", "enum": .array(TaskItem.statuses.sorted().map(JSON.string))],
            "assignee": nullableString, "contact_id": nullableString, "conversation_id": nullableString, "due_at": nullableInteger,
            "reminder_at": nullableInteger,
        ]),
        "TaskPage": page("Task"),
        "Template": object([
            "id": string, "name": string, "channel": string, "language": string, "category": string, "subject": nullableString,
            "body": string, "html_body": nullableString, "variables": strings, "approval_status": string, "business_entity": nullableString,
            "active": boolean, "usage_count": integer, "created_at": integer, "updated_at": integer,
        ], required: ["id", "name", "channel", "language", "body", "approval_status"]),
        "TemplateInput": object([
            "name": string, "channel": ["type": "string", "enum": .array(MessageTemplate.channels.sorted().map(JSON.string))],
            "language": string, "category": string, "subject": string, "body": string, "html_body": string,
            "approval_status": ["type": "string", "enum": .array(MessageTemplate.approvalStatuses.sorted().map(JSON.string))],
            "business_entity": string, "active": boolean,
        ]),
        "TemplatePage": page("Template"),
        "AuditEntry": object([
            "id": string, "occurred_at": integer, "actor": string, "action": string, "subject": nullableString, "details": anyObject,
        ], required: ["id", "occurred_at", "actor", "action"]),
        "AuditList": list("AuditEntry"),
        "AutomationCondition": object([
            "attribute": string, "conversation_attribute": string, "label": string, "field": string,
            "operator": ["type": "string", "enum": .array(AutomationRule.operators.sorted().map(JSON.string))], "value": [:],
            "join": ["type": "string", "enum": ["and", "or"]],
        ], required: ["operator"]),
        "AutomationRuleInput": object([
            "name": string, "event": ["type": "string", "enum": .array(AutomationRule.events.sorted().map(JSON.string))],
            "conditions": ["type": "array", "items": ref("AutomationCondition")],
            "actions": ["type": "array", "items": ["type": "object", "minProperties": 1, "maxProperties": 1]], "active": boolean,
        ], required: ["name", "event", "actions"]),
        "AutomationRule": object([
            "id": string, "name": string, "event": string, "conditions": ["type": "array", "items": ref("AutomationCondition")],
            "actions": ["type": "array", "items": anyObject], "active": boolean, "source": string,
        ], required: ["id", "name", "event", "actions"]),
        "AutomationRuleList": list("AutomationRule"),
        "AutomationRun": object([
            "id": string, "rule_id": string, "event": string, "subject": nullableString, "outcome": string, "details": anyObject,
            "occurred_at": integer,
        ], required: ["id", "rule_id", "outcome"]),
        "AutomationRunList": list("AutomationRun"),
        "Token": object([
            "id": string, "name": string, "role": string, "prefix": string, "created_by": string, "created_at": integer,
            "last_used_at": nullableInteger, "revoked_at": nullableInteger,
        ], required: ["id", "name", "role", "prefix"]),
        "TokenList": list("Token"),
        "TokenInput": object(["name": string, "role": string], required: ["name", "role"]),
        "CreatedToken": object(["id": string, "name": string, "role": string, "prefix": string, "secret": string], required: ["secret"]),
        "User": object(["id": string, "email": string, "name": string, "role": string, "created_at": integer], required: ["id", "email", "role"]),
        "UserList": list("User"),
        "UserInput": object(["email": string, "name": string, "role": string, "password": ["type": "string", "minLength": 12]],
                            required: ["email", "name", "role", "password"]),
        "RoleInput": object(["role": string], required: ["role"]),
        "SendInput": object([
            "contact_id": string, "channel": ["type": "string", "enum": ["sandbox", "whatsapp", "sms", "email", "chatwoot"]],
            "type": ["type": "string", "enum": ["session_text", "template", "interactive"]], "text": string, "template_name": string,
            "language": string, "variables": anyObject, "interactive": anyObject,
            "category": ["type": "string", "enum": ["marketing", "utility", "service", "authentication"]], "send_at": integer,
        ], required: ["contact_id", "type"]),
        "SendResult": object([
            "message_id": string, "status": ["type": "string", "enum": ["sent", "queued", "scheduled"]], "channel": string,
            "send_at": nullableInteger, "reason": nullableString, "detail": nullableString,
        ], required: ["message_id", "status", "channel"]),
        "Job": object([
            "id": string, "plugin_id": nullableString, "kind": string, "payload": [:], "run_at": integer,
            "status": ["type": "string", "enum": .array(JobRecord.statuses.sorted().map(JSON.string))], "attempts": integer,
            "max_attempts": integer, "last_error": nullableString, "unique_key": nullableString, "created_at": integer,
            "updated_at": integer,
        ], required: ["id", "kind", "run_at", "status", "attempts", "max_attempts"]),
        "JobPage": page("Job"),
        "CalendarEvent": object([
            "id": string, "title": string, "description": nullableString, "location": nullableString, "starts_at": integer,
            "ends_at": integer, "status": ["type": "string", "enum": .array(CalendarEvent.statuses.sorted().map(JSON.string))],
            "contact_id": nullableString, "conversation_id": nullableString, "source": string, "sequence": integer,
            "created_at": integer, "updated_at": integer,
        ], required: ["id", "title", "starts_at", "ends_at", "status"]),
        "CalendarEventInput": object([
            "title": string, "description": string, "location": string, "starts_at": integer, "ends_at": integer,
            "status": ["type": "string", "enum": .array(CalendarEvent.statuses.sorted().map(JSON.string))], "contact_id": string,
        ]),
        "CalendarEventList": list("CalendarEvent"),
        "Tenant": object(["slug": string, "name": string, "domains": strings, "locale": string, "timezone": string, "branding": anyObject,
                          "plugins": ["type": "array", "items": anyObject]], required: ["slug", "name"]),
    ]
}
