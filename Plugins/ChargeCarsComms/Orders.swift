import Foundation
import PluginAPI

/// The tenant's orders, which threads and tasks point at (seed 004's `order_id`): `/api/orders` creates
/// and lists them, keyed by order number. An inbound message is linked to the order its subject or text
/// names, or, naming none, to the sender's only order (by email or phone).
extension ChargeCarsCommsPlugin {
    struct OrderRecord: Codable {
        var id: String
        var number: String
        var customerEmail: String?
        var customerPhone: String?
        var organizationID: String?
        var businessEntity: String?
        var createdAt: Int64

        enum CodingKeys: String, CodingKey {
            case id, number, customerEmail = "customer_email", customerPhone = "customer_phone", organizationID = "organization_id"
            case businessEntity = "business_entity", createdAt = "created_at"
        }
    }

    /// `POST /api/orders`: `number` (4 to 20 letters, digits or dashes) and the customer's email, phone and organisation.
    func createOrder(_ body: JSON) throws -> JSON {
        guard let number = body["number"]?.stringValue, number.range(of: #"^[A-Za-z0-9-]{4,20}$"#, options: .regularExpression) != nil else {
            throw PluginError.badArgument("number is required: 4 to 20 letters, digits or dashes")
        }
        guard try host.get(Collections.orders, number, as: OrderRecord.self) == nil else { throw PluginError.badArgument("order \(number) exists already") }
        let entity = try body["business_entity"]?.stringValue.map { try Vocabulary.check($0, in: Vocabulary.businessEntities, field: "business_entity") }
        let order = OrderRecord(
            id: newID(), number: number, customerEmail: body["customer_email"]?.stringValue?.lowercased(),
            customerPhone: body["customer_phone"]?.stringValue, organizationID: body["organization_id"]?.stringValue,
            businessEntity: entity, createdAt: millis(host.now))
        try host.put(Collections.orders, number, order)
        return try JSON(encoding: order)
    }

    /// `GET /api/orders?cursor=&limit=`, in order-number order.
    func listOrders(_ query: [String: String]) throws -> JSON {
        let page = try host.query(
            Collections.orders, as: OrderRecord.self, after: query["cursor"], limit: min(max(Int(query["limit"] ?? "") ?? 50, 1), 200))
        return ["data": .array(try page.records.map { try JSON(encoding: $0.value) }), "next_cursor": page.next.map(JSON.string) ?? .null]
    }

    /// The order `text` names (the manifest's `order_pattern`), else the contact's only order.
    func order(in text: String, contact: JSON) throws -> OrderRecord? {
        if let number = orderReference(in: text), let order = try host.get(Collections.orders, number, as: OrderRecord.self) { return order }
        for (field, value) in [("customer_email", contact["email"]?.stringValue?.lowercased()), ("customer_phone", contact["phone"]?.stringValue)] {
            guard let value else { continue }
            let matches = try host.query(Collections.orders, as: OrderRecord.self, where: [field: .string(value)], limit: 2).records
            if matches.count == 1 { return matches[0].value }
        }
        return nil
    }

    /// Links a thread to an order and, when it has none, the order's organisation.
    func link(_ thread: inout ThreadRecord, to order: OrderRecord) {
        thread.orderID = order.id
        thread.orderNumber = order.number
        thread.customerOrganizationID = thread.customerOrganizationID ?? order.organizationID
    }
}
