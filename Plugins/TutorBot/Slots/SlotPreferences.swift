/// The free-text `preferred_times` of a conversation, read as day and part-of-day restrictions.
/// Words match anywhere, case-insensitively, so `zondagochtend` is both Sunday and morning.
struct SlotPreferences: Equatable, Sendable {
    enum PartOfDay: String, CaseIterable, Sendable {
        case morning, afternoon, evening

        /// Whether a start at `minute` past local midnight falls in this part of the day.
        func contains(minute: Int) -> Bool {
            switch self {
            case .morning: minute < 12 * 60
            case .afternoon: minute >= 12 * 60 && minute < 17 * 60
            case .evening: minute >= 17 * 60
            }
        }
    }

    /// Allowed weekdays (Monday = 0); empty means any.
    var weekdays: Set<Int> = []
    /// Allowed parts of the day; empty means any.
    var parts: Set<PartOfDay> = []

    static let dayWords: [(String, Int)] = [
        ("maandag", 0), ("dinsdag", 1), ("woensdag", 2), ("donderdag", 3), ("vrijdag", 4), ("zaterdag", 5), ("zondag", 6),
        ("monday", 0), ("tuesday", 1), ("wednesday", 2), ("thursday", 3), ("friday", 4), ("saturday", 5), ("sunday", 6),
    ]
    static let partWords: [(String, PartOfDay)] = [
        ("ochtend", .morning), ("morning", .morning), ("middag", .afternoon), ("afternoon", .afternoon),
        ("avond", .evening), ("evening", .evening),
    ]

    init(weekdays: Set<Int> = [], parts: Set<PartOfDay> = []) {
        self.weekdays = weekdays
        self.parts = parts
    }

    init(text: String) {
        let text = text.lowercased()
        for (word, day) in Self.dayWords where text.contains(word) { weekdays.insert(day) }
        for (word, part) in Self.partWords where text.contains(word) { parts.insert(part) }
    }

    var isEmpty: Bool { weekdays.isEmpty && parts.isEmpty }

    /// Whether a start on `weekday` at `minute` past local midnight fits.
    func accepts(weekday: Int, minute: Int) -> Bool {
        (weekdays.isEmpty || weekdays.contains(weekday)) && (parts.isEmpty || parts.contains { $0.contains(minute: minute) })
    }
}
